-- wrk: the product page's create-contact body with a phone drawn from 200,000 valid numbers
-- (+1 415 200 0000 … +1 415 219 9999), so both inserts and updates happen.
local token = os.getenv("BENCH_TOKEN")
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. token

local template = '{"phone": "+1415%d", "name": "Romain", "email": "romain@example.com", ' ..
  '"tags": "vip, fr-FR", "metadata": { "shopify_id": "12345", "lifetime_value": 8742.00 }}'

request = function()
  return wrk.format(nil, "/api/v1/actions/create-contact", nil, string.format(template, 2000000 + math.random(0, 199999)))
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
