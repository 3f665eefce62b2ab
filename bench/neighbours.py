"""Noisy neighbours: the latency of a light workspace's GET /api/v1/tags, alone and while a heavy
workspace floods create-contacts (CLIENTS concurrent clients, 1,000 contacts a request).

Usage: neighbours.py URL LIGHT_TOKEN HEAVY_TOKEN [SECONDS] [CLIENTS]
Prints: p50_alone_ms p99_alone_ms p50_flood_ms p99_flood_ms heavy_contacts_per_s
The flood runs in another process, so this one's timings do not queue behind its JSON work."""
import http.client, json, subprocess, sys, time, urllib.parse


def connection(base):
    url = urllib.parse.urlparse(base)
    return http.client.HTTPConnection(url.hostname, url.port, timeout=60)


def light(base, token, seconds):
    conn, latencies, end = connection(base), [], time.monotonic() + seconds
    while time.monotonic() < end:
        start = time.monotonic()
        conn.request("GET", "/api/v1/tags", headers={"Authorization": "Bearer " + token})
        response = conn.getresponse()
        response.read()
        assert response.status == 200, response.status
        latencies.append((time.monotonic() - start) * 1000)
    latencies.sort()
    return latencies[len(latencies) // 2], latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]


def heavy(base, token, seconds, client):
    """Re-syncs the same 1,000 contacts, each time with a changed field: every write is a real
    update (the first run's inserts are made by a seeding pass before any timing)."""
    conn, sent, end, run = connection(base), 0, time.monotonic() + seconds, 0
    while run == 0 or time.monotonic() < end:
        run += 1
        body = json.dumps({"contacts": [
            {"phone": f"+1415{5000000 + client * 100000 + i}", "tags": "vip, flood", "metadata": {"n": i, "run": f"{time.time_ns()}"}}
            for i in range(1000)]})
        conn.request("POST", "/api/v1/actions/create-contacts", body=body,
                     headers={"Content-Type": "application/json", "Authorization": "Bearer " + token})
        response = conn.getresponse()
        response.read()
        sent += 1000 if response.status == 200 else 0
    print(sent)


if sys.argv[1] == "heavy":
    heavy(sys.argv[2], sys.argv[3], float(sys.argv[4]), int(sys.argv[5]))
    sys.exit(0)

base, light_token, heavy_token = sys.argv[1:4]
seconds = float(sys.argv[4]) if len(sys.argv) > 4 else 8
clients = int(sys.argv[5]) if len(sys.argv) > 5 else 8
seeding = [subprocess.Popen([sys.executable, __file__, "heavy", base, heavy_token, "0", str(c)], stdout=subprocess.DEVNULL)
           for c in range(clients)]
for p in seeding: p.wait()
light(base, light_token, 1)  # warm-up: connection, token cache
alone = light(base, light_token, seconds)
flood = [subprocess.Popen([sys.executable, __file__, "heavy", base, heavy_token, str(seconds + 1), str(c)], stdout=subprocess.PIPE)
         for c in range(clients)]
time.sleep(1)
flooded = light(base, light_token, seconds)
sent = sum(int(p.communicate()[0] or 0) for p in flood)
print(f"{alone[0]:.2f} {alone[1]:.2f} {flooded[0]:.2f} {flooded[1]:.2f} {sent / (seconds + 1):.0f}")
