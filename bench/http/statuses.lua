-- Shared by the wrk scripts: counts response statuses per thread and prints them in done().
-- wrk gives every thread its own Lua state; setup() runs in the main state and keeps the thread handles.
local threads = {}
local next_id = 0

function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

statuses = {}

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local total, by_status = 0, {}
  for _, thread in ipairs(threads) do
    local counts = thread:get("statuses")
    for status, n in pairs(counts) do
      by_status[status] = (by_status[status] or 0) + n
      total = total + n
    end
  end
  local keys = {}
  for status in pairs(by_status) do table.insert(keys, status) end
  table.sort(keys)
  local line = ""
  for _, status in ipairs(keys) do line = line .. string.format(" %d=%d", status, by_status[status]) end
  io.write(string.format("STATUSES%s\n", line))
  io.write(string.format("BENCH requests=%d duration_us=%d rps=%.1f p50_us=%d p90_us=%d p99_us=%d max_us=%d errors=%d\n",
    summary.requests, summary.duration, summary.requests / (summary.duration / 1e6),
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout + summary.errors.status))
end
