-- wrk: the product page's create-contact body with a phone drawn from BENCH_PHONES valid numbers
-- (default 200,000: +1 415 200 0000 …), so inserts and updates both happen. Every body carries a
-- new "sync" value in its metadata, so an update is a real write; BENCH_RESYNC=1 sends the same
-- body for a phone every time instead (identical re-syncs, which write nothing).
local token = os.getenv("BENCH_TOKEN")
local phones = tonumber(os.getenv("BENCH_PHONES") or "200000")
local resync = os.getenv("BENCH_RESYNC") == "1"
-- BENCH_IDEMPOTENT=1: every request carries a fresh Idempotency-Key (what a careful client sends).
local idempotent = os.getenv("BENCH_IDEMPOTENT") == "1"
local sent = 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. token

-- Each thread of each run draws its own sequence: LuaJIT's generator starts from the same seed in
-- every Lua state, so without this every run (and both threads) sent the same bodies again, and a
-- run after another was mostly identical re-syncs.
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("thread_index", threads)
end
function init(args)
  math.randomseed(os.time() * 1000 + (thread_index or 0) * 7919 + math.floor(os.clock() * 1e6) % 1000)
end

local template = '{"phone": "+1415%d", "name": "Romain", "email": "romain@example.com", ' ..
  '"tags": "vip, fr-FR", "metadata": { "shopify_id": "12345", "lifetime_value": 8742.00, "sync": %d }}'

request = function()
  local sync = resync and 0 or math.random(1, 2000000000)
  local headers = nil
  if idempotent then
    sent = sent + 1
    -- wrk.format takes these instead of wrk.headers, not beside them.
    headers = { ["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. token,
      ["Idempotency-Key"] = string.format("bench-%d-%d-%d", thread_index or 0, sent, math.random(1, 2000000000)) }
  end
  return wrk.format(nil, "/api/v1/actions/create-contact", headers, string.format(template, 2000000 + math.random(0, phones - 1), sync))
end

local statuses = {}
response = function(status, headers, body)
  if status < 200 or status > 299 then
    statuses[status] = (statuses[status] or 0) + 1
  end
end

done = function(summary, latency, requests)
  io.write(string.format("BENCH rps=%.1f p50_ms=%.3f p99_ms=%.3f requests=%d non2xx=%d errors=%d\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.requests, (summary.errors.status or 0), summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
