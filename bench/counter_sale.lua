-- wrk script: POST /api/counter-sales with a fresh Idempotency-Key per request.
-- Arguments after `--`: lowest SKU id, highest SKU id, bearer token.
-- Prints one line `RESULT requests=... ok=... p50_ms=... p99_ms=... seconds=...` for bench/place_and_pay.py.

threads_started = 0

function setup(thread)
  threads_started = threads_started + 1
  thread:set("thread_no", threads_started)
end

function init(args)
  lo, hi, token = tonumber(args[1]), tonumber(args[2]), args[3]
  math.randomseed(os.time() * 1000 + thread_no)
  prefix = string.format("wrk-%d-%d-%d", thread_no, os.time(), math.random(1, 1000000000))
  sent = 0
end

function request()
  sent = sent + 1
  local body = string.format('{"items": [{"sku_id": %d, "quantity": 1}]}', math.random(lo, hi))
  return wrk.format("POST", nil, {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. token,
    ["Idempotency-Key"] = prefix .. "-" .. sent,
  }, body)
end

function done(summary, latency, requests)
  local failed = summary.errors.status + summary.errors.connect + summary.errors.read
    + summary.errors.write + summary.errors.timeout
  io.write(string.format("RESULT requests=%d ok=%d p50_ms=%.2f p99_ms=%.2f seconds=%.3f\n",
    summary.requests, summary.requests - failed, latency:percentile(50) / 1000,
    latency:percentile(99) / 1000, summary.duration / 1e6))
end
