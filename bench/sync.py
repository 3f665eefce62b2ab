"""The change feed and webhooks as a client sees them (make bench, BENCHMARKS.md "Sync").

    sync.py feed-rate BASE TOKEN                  changes/s to a client following the feed from its start
    sync.py delays BASE TOKEN RECEIVER_LOG N      commit → long-poll answer and commit → webhook delivery

`delays` writes N contacts, one every 20 ms, from one client, while another long-polls the feed
(wait=30) and a receiver on this machine (sync_receiver.py) logs each delivery's arrival; the
commit instant is when create-contact answered. Prints p50/p99 of both delays in ms.
"""
import json
import sys
import threading
import time
import urllib.request


def call(base, token, path, body=None):
    request = urllib.request.Request(base + path, data=body and json.dumps(body).encode(), method="POST" if body else "GET",
                                     headers={"Authorization": "Bearer " + token, "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.load(response)


def percentile(values, p):
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def feed_rate(base, token):
    start = time.monotonic()
    first = call(base, token, "/api/v1/changes?limit=1000")
    numbered = time.monotonic() - start
    count, cursor = len(first["data"]), first["next_cursor"]
    while True:
        page = call(base, token, f"/api/v1/changes?limit=1000&after={cursor}")
        if not page["data"]:
            break
        count += len(page["data"])
        cursor = page["next_cursor"]
    elapsed = time.monotonic() - start
    print(f"changes={count} seconds={elapsed:.2f} rate={count / elapsed:.0f} first_page_s={numbered:.2f}")


def delays(base, token, receiver_log, n):
    committed, polled = {}, {}
    cursor = call(base, token, "/api/v1/changes?limit=1000")["next_cursor"]
    while True:
        page = call(base, token, f"/api/v1/changes?limit=1000&after={cursor}")
        if not page["data"]:
            break
        cursor = page["next_cursor"]
    stop = threading.Event()

    def poll():
        nonlocal cursor
        while not stop.is_set():
            page = call(base, token, f"/api/v1/changes?limit=1000&wait=30&after={cursor}")
            now = time.time()
            for change in page["data"]:
                polled.setdefault(change["contact"]["phone"], now)
            cursor = page["next_cursor"]

    poller = threading.Thread(target=poll, daemon=True)
    poller.start()
    time.sleep(0.5)
    for i in range(n):
        phone = f"+1415{7000000 + i}"
        call(base, token, "/api/v1/actions/create-contact", {"phone": phone, "name": "sync"})
        committed[phone] = time.time()
        time.sleep(0.02)
    deadline = time.time() + 30
    delivered = {}
    while time.time() < deadline:
        delivered = {}
        try:
            with open(receiver_log) as log:
                for line in log:
                    phone, at = line.split()
                    delivered.setdefault(phone, float(at))
        except FileNotFoundError:
            pass
        if len(polled) >= n and all(p in delivered for p in committed):
            break
        time.sleep(0.2)
    stop.set()
    poll_ms = [(polled[p] - committed[p]) * 1000 for p in committed if p in polled]
    hook_ms = [(delivered[p] - committed[p]) * 1000 for p in committed if p in delivered]
    print(f"writes={n} polled={len(poll_ms)} poll_p50_ms={percentile(poll_ms, 50):.1f} poll_p99_ms={percentile(poll_ms, 99):.1f} "
          f"delivered={len(hook_ms)} webhook_p50_ms={percentile(hook_ms, 50):.1f} webhook_p99_ms={percentile(hook_ms, 99):.1f}")


if sys.argv[1] == "feed-rate":
    feed_rate(sys.argv[2], sys.argv[3])
else:
    delays(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]))
