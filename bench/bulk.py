"""Bulk over HTTP, measured: an import job of a CSV file (upload and run), the export streamed as
CSV and NDJSON, and the p99 of create-contact from a light client alone and while an import runs.

Usage: bulk.py URL IMPORT_TOKEN SECOND_IMPORT_TOKEN LIGHT_TOKEN CSV_FILE ROWS CLI_ROWS_PER_S
Prints its rows of make bench's table; CLI_ROWS_PER_S is `contacts import` of the same file into an
empty workspace, measured just before."""
import http.client, json, os, re, subprocess, sys, time, urllib.parse

base, import_token, second_token, light_token, csv_file, rows, cli_rate = sys.argv[1:8]
rows, cli_rate = int(rows), float(cli_rate)
url = urllib.parse.urlparse(base)


def connection():
    return http.client.HTTPConnection(url.hostname, url.port, timeout=600)


def upload(token):
    """POST /api/v1/imports with the file streamed from disk; the job's id and the upload's seconds."""
    conn, size = connection(), os.path.getsize(csv_file)
    start = time.monotonic()
    conn.putrequest("POST", "/api/v1/imports")
    for name, value in [("Authorization", "Bearer " + token), ("Content-Type", "text/csv"), ("Content-Length", str(size))]:
        conn.putheader(name, value)
    conn.endheaders()
    with open(csv_file, "rb") as f:
        while block := f.read(1 << 20):
            conn.send(block)
    response = conn.getresponse()
    body = json.loads(response.read())
    assert response.status == 202, (response.status, body)
    return body["id"], time.monotonic() - start


def job(token, id):
    conn = connection()
    conn.request("GET", "/api/v1/imports/" + id, headers={"Authorization": "Bearer " + token})
    response = conn.getresponse()
    return json.loads(response.read())


def wait(token, id, poll=0.1):
    while True:
        state = job(token, id)
        if state["status"] in ("succeeded", "failed"):
            return state
        time.sleep(poll)


def export(token, accept):
    """Streams the export, counting lines; contacts per second and bytes."""
    conn = connection()
    start = time.monotonic()
    conn.request("GET", "/api/v1/contacts/export", headers={"Authorization": "Bearer " + token, "Accept": accept})
    response = conn.getresponse()
    assert response.status == 200, response.status
    lines = size = 0
    while block := response.read(1 << 20):
        lines += block.count(b"\n")
        size += len(block)
    seconds = time.monotonic() - start
    contacts = lines - (1 if accept == "text/csv" else 0)
    return contacts, contacts / seconds, size


def light_p99(seconds):
    """create-contact from 4 clients (wrk), the light workspace's own contacts: its p99 in ms."""
    env = dict(os.environ, BENCH_TOKEN=light_token, BENCH_PHONES="5000")
    out = subprocess.run(["wrk", "-t1", "-c4", f"-d{seconds}s", "--latency", "-s", "bench/create-contact.lua", base],
                         env=env, capture_output=True, text=True).stdout
    line = next(l for l in out.splitlines() if l.startswith("BENCH"))
    fields = dict(kv.split("=") for kv in line.split()[1:])
    return float(fields["p99_ms"]), float(fields["p50_ms"]), float(fields["rps"])


figures = {}
# 1. The HTTP import of the file into an empty workspace: upload, then the job to its end.
start = time.monotonic()
id, upload_seconds = upload(import_token)
state = wait(import_token, id)
total = time.monotonic() - start
assert state["status"] == "succeeded" and state["rows"]["read"] == rows, state
figures["http_rows_per_s"] = rows / total
figures["upload_mb_per_s"] = os.path.getsize(csv_file) / upload_seconds / 1e6
figures["upload_s"] = upload_seconds
figures["created"] = state["rows"]["created"]

# 2. The export of those contacts.
exported, figures["export_csv_per_s"], figures["export_csv_bytes"] = export(import_token, "text/csv")
assert exported == rows, exported
exported, figures["export_ndjson_per_s"], _ = export(import_token, "application/x-ndjson")
assert exported == rows, exported

# 3. create-contact p99 from a light workspace, alone and while the same file imports elsewhere.
light_p99(3)
figures["p99_alone_ms"], figures["p50_alone_ms"], figures["rps_alone"] = light_p99(10)
id, _ = upload(second_token)
while job(second_token, id)["status"] == "queued":
    time.sleep(0.05)
job_started = time.monotonic()
figures["p99_import_ms"], figures["p50_import_ms"], figures["rps_import"] = light_p99(10)
figures["import_still_running"] = int(job(second_token, id)["status"] == "running")
wait(second_token, id, poll=0.02)
figures["job_rows_per_s"] = rows / (time.monotonic() - job_started)
f = figures
table = [
    (f"HTTP import job of the same {rows:,} rows (upload + run), contacts/s", f"{f['http_rows_per_s']:,.0f}"),
    ("  ratio to contacts import (CLI) of the file, target >= 0.9", f"{f['http_rows_per_s'] / cli_rate:.2f}" if cli_rate else "n/a"),
    ("  of which the upload (stored before the 202)", f"{f['upload_s']:.1f} s, {f['upload_mb_per_s']:.0f} MB/s"),
    (f"export of {rows:,} contacts as CSV, contacts/s (target >= 100,000)", f"{f['export_csv_per_s']:,.0f} ({f['export_csv_bytes'] / 1e6:.0f} MB)"),
    ("export as NDJSON, contacts/s", f"{f['export_ndjson_per_s']:,.0f}"),
    ("light create-contact (wrk c=4) p99 alone (p50)", f"{f['p99_alone_ms']:.2f} ms ({f['p50_alone_ms']:.2f} ms), {f['rps_alone']:,.0f} req/s"),
    ("  while an import job runs", f"{f['p99_import_ms']:.2f} ms ({f['p50_import_ms']:.2f} ms), {f['rps_import']:,.0f} req/s"
     + ("" if f["import_still_running"] else " (the import ended before the 10 s)")),
    ("  the import job meanwhile, contacts/s", f"{f['job_rows_per_s']:,.0f}"),
]
width = max(len(k) for k, _ in table)
for k, v in table:
    print(f"{k.ljust(width)}  {v}")
# For the targets table (bench/targets.py).
print(f"BULKFIG light_p99_alone_ms={f['p99_alone_ms']:.3f} light_p99_import_ms={f['p99_import_ms']:.3f} import_job_rows_per_s={f['job_rows_per_s']:.0f}")
