"""Prints the first table of make bench: create-contact against the one-call reference, on a
PostgreSQL with its production defaults (fsync and synchronous_commit on), per request."""
import sys

(service, single, resync, t0, t1, pg0, pg1, sw0, sw1, wal, rpg0, rpg1, rwal,
 ref_tps, ref_n, refpg0, refpg1, ref_wal, ref_single, hz, c, pool, pool_n, poolpg0, poolpg1) = sys.argv[1:]


def fields(line):
    return dict(kv.split("=") for kv in line.split()[1:])


run, one, again = fields(service), fields(single), fields(resync)
hz, n = int(hz), max(int(run["requests"]), 1)
us = lambda ticks: ticks / hz * 1e6
v0, i0 = map(int, sw0.split())
v1, i1 = map(int, sw1.split())
ref_tps, ref_n = float(ref_tps or 0), max(int(ref_n), 1)
rps = float(run["rps"])
rows = [
    (f"create-contact, durable, c={c}, pool {pool}: requests/s", f"{rps:,.0f}"),
    ("  p50 / p99", f"{float(run['p50_ms']):.2f} / {float(run['p99_ms']):.2f} ms"),
    ("  non-2xx responses", f"{int(run['non2xx'])} (socket errors {run['errors']})"),
    ("  service CPU per request", f"{us(int(t1) - int(t0)) / n:.0f} µs"),
    ("  PostgreSQL CPU per request", f"{us(int(pg1) - int(pg0)) / n:.0f} µs"),
    ("  service context switches per request, voluntary / involuntary", f"{(v1 - v0) / n:.2f} / {(i1 - i0) / n:.2f}"),
    ("  WAL per request", f"{int(float(wal)) / n:,.0f} bytes"),
    ("pgbench, the frozen one-call reference function, tx/s", f"{ref_tps:,.0f}"),
    (f"  PostgreSQL CPU per call (c={c})", f"{us(int(refpg1) - int(refpg0)) / ref_n:.0f} µs"),
    (f"  PostgreSQL CPU per call at c={pool} (the service's pool size)", f"{us(int(poolpg1) - int(poolpg0)) / max(int(pool_n), 1):.0f} µs"),
    ("  WAL per call", f"{int(float(ref_wal)) / ref_n:,.0f} bytes"),
    ("  latency at c=1 (average)", f"{ref_single} ms"),
    ("ratio service / reference", f"{rps / ref_tps:.2f}" if ref_tps else "n/a"),
    ("create-contact at c=1: p50 / p99", f"{float(one['p50_ms']):.2f} / {float(one['p99_ms']):.2f} ms ({float(one['rps']):,.0f} requests/s)"),
    ("identical re-syncs (1,000 contacts sent unchanged), requests/s", f"{float(again['rps']):,.0f}"),
    ("  PostgreSQL CPU per request", f"{us(int(rpg1) - int(rpg0)) / max(int(again['requests']), 1):.0f} µs"),
    ("  WAL per request", f"{int(float(rwal)) / max(int(again['requests']), 1):,.0f} bytes"),
]
width = max(len(k) for k, _ in rows)
print()
print("PostgreSQL with production defaults (fsync, synchronous_commit on)")
for k, v in rows:
    print(f"{k.ljust(width)}  {v}")
