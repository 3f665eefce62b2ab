"""Prints make bench's last table: each target of issue 22 (speed, round three) with its figure from
this run and whether it is met. Every figure comes from the runs above it; the one constant is the
last-wins create-contacts figure, from BENCHMARKS.md (that build no longer exists to run beside).

Usage: targets.py KEY=VALUE ... (keys below)."""
import sys

f = {k: v for k, v in (arg.split("=", 1) for arg in sys.argv[1:])}
num = lambda key: float(f[key]) if f.get(key) not in (None, "", "n/a") else None

# BENCHMARKS.md, "create-contacts in order": the last-wins build, 4 clients, 1,000 a batch, in the
# run that measured both builds side by side (15,170 and 18,317 contacts/s): the lower one.
LAST_WINS_4_CLIENTS = 15_170

rows = []


def target(name, figure, met, note=""):
    rows.append((name, figure, "met" if met else "MISSED", note))


svc, readyz = num("create_svc_us"), num("readyz_us")
target("create-contact service CPU ≤ 2 × /readyz's", f"{svc:.0f} µs vs {readyz:.0f} µs: ×{svc / readyz:.2f}", svc <= 2 * readyz)
vol = num("voluntary_per_request")
target("≤ 1 voluntary context switch per request", f"{vol:.2f}", vol <= 1)
pg, ref = num("create_pg_us"), num("reference_pg_us")
target("PostgreSQL CPU per create-contact ≤ the reference's per call (c=32)", f"{pg:.0f} µs vs {ref:.0f} µs", pg <= ref)
p99 = num("p99_ms")
target("p99 at c=32 ≤ 15 ms", f"{p99:.2f} ms", p99 <= 15)
p50 = num("c1_p50_ms")
target("p50 at c=1 ≤ 0.6 ms", f"{p50:.3f} ms", p50 <= 0.6)
batch = num("batch_4_clients")
target("create-contacts (4 clients) ≥ the last-wins figure", f"{batch:,.0f} vs {LAST_WINS_4_CLIENTS:,} contacts/s", batch >= LAST_WINS_4_CLIENTS)
imported, phone, floor = num("import_rows_per_s"), num("phone_us"), num("floor_us")
bound = 2e6 / (phone + floor)  # two cores, each contact at least its phone check and plain insert
target("contacts import ≥ 0.8 × the floor's bound", f"{imported:,.0f} rows/s vs {bound:,.0f}: ×{imported / bound:.2f}", imported >= 0.8 * bound)
alone, during, rate = num("light_p99_alone_ms"), num("light_p99_import_ms"), num("import_job_rows_per_s")
target("light p99 during another's import job ≤ 3 × alone", f"{during:.2f} vs {alone:.2f} ms: ×{during / alone:.1f}", during <= 3 * alone,
       f"the job meanwhile: {rate:,.0f} rows/s" if rate else "")
if num("citus_rps") is not None:
    rows.append(("create-contact through Citus (coordinator + 2 workers)",
                 f"{num('citus_rps'):,.0f} req/s, p99 {num('citus_p99_ms'):.2f} ms, PostgreSQL {num('citus_pg_us'):,.0f} µs/req",
                 "shown", f"single node: {num('rps'):,.0f} req/s"))

print()
print("Round three targets (issue 22), this run")
width = max(len(r[0]) for r in rows)
fig_width = max(len(r[1]) for r in rows)
for name, figure, verdict, note in rows:
    print(f"{name.ljust(width)}  {figure.ljust(fig_width)}  {verdict}{'  (' + note + ')' if note else ''}")
