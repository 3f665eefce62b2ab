"""Prints make bench's table from the figures the shell script gathered."""
import re, sys
(service, pg_tps, pg_latency, pg_failed, idle_kb, peak_kb, t0, t1, pg_t0, pg_t1, hz, batch_rate, batch_rate_parallel,
 batch_clients, import_line, phone_us, floor_us, healthz_us, readyz_us, concurrency, seconds, pool,
 neighbours_fair, neighbours_unfair, neighbour_clients) = sys.argv[1:]
fair = [float(x) for x in neighbours_fair.split()]
unfair = [float(x) for x in neighbours_unfair.split()]
fields = dict(kv.split("=") for kv in service.split()[1:])
rps = float(fields["rps"]); requests = int(fields["requests"])
pg_tps = float(pg_tps or 0)
cpu_per_1000 = (int(t1) - int(t0)) / int(hz) / max(requests, 1) * 1000
pg_cpu_per_1000 = (int(pg_t1) - int(pg_t0)) / int(hz) / max(requests, 1) * 1000
m = re.search(r"\((\d+) rows/s\)", import_line)
rows = [
    ("create-contact requests/s (wrk, c=%s, %ss, pool %s)" % (concurrency, seconds, pool), f"{rps:,.0f}"),
    ("  p50 latency", f"{float(fields['p50_ms']):.2f} ms"),
    ("  p99 latency", f"{float(fields['p99_ms']):.2f} ms"),
    ("  non-2xx responses", f"{int(fields['non2xx'])} (socket errors {fields['errors']})"),
    ("pgbench, the service's own statement, tx/s", f"{pg_tps:,.0f} (avg latency {pg_latency} ms, failed {pg_failed})"),
    ("ratio service / that pgbench", f"{rps / pg_tps:.2f}" if pg_tps else "n/a"),
    ("service idle RSS", f"{int(idle_kb) / 1024:.1f} MB"),
    ("service peak RSS", f"{int(peak_kb) / 1024:.1f} MB"),
    ("service CPU seconds per 1,000 requests", f"{cpu_per_1000:.3f}"),
    ("  PostgreSQL CPU seconds per 1,000 requests (same run)", f"{pg_cpu_per_1000:.3f}"),
    ("  service CPU per GET /healthz (HTTP only), µs", healthz_us),
    ("  service CPU per GET /readyz (HTTP + one pooled SELECT 1), µs", readyz_us),
    ("create-contacts (batches of 1000, 1 client), contacts/s", f"{int(batch_rate):,}"),
    (f"create-contacts (batches of 1000, {batch_clients} clients), contacts/s", f"{int(batch_rate_parallel):,}"),
    ("contacts import (generated CSV), contacts/s", f"{int(m.group(1)):,}" if m else import_line),
    ("floor per imported contact: phone validation, µs", phone_us),
    ("floor per imported contact: PostgreSQL plain INSERT of it and 2 links, µs", floor_us),
    ("light workspace GET /api/v1/tags p99 alone (p50)", f"{fair[1]:.2f} ms ({fair[0]:.2f} ms)"),
    (f"  while another floods create-contacts ({neighbour_clients} clients), fair shares on", f"{fair[3]:.2f} ms ({fair[2]:.2f} ms), ×{fair[3] / fair[1]:.1f}; flood {fair[4]:,.0f} contacts/s"),
    ("  same, pool shares off (every share the whole pool), alone", f"{unfair[1]:.2f} ms ({unfair[0]:.2f} ms)"),
    ("  same, pool shares off, during the flood", f"{unfair[3]:.2f} ms ({unfair[2]:.2f} ms), ×{unfair[3] / unfair[1]:.1f}; flood {unfair[4]:,.0f} contacts/s"),
]
width = max(len(k) for k, _ in rows)
print()
for k, v in rows:
    print(f"{k.ljust(width)}  {v}")
