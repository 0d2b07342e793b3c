-- POST a well-formed ingest body with a wrong bearer token, a fixed number of requests in all.
-- usage: wrk -t<T> -d<long enough> ... -s flood.lua <url> -- <total requests> <T>
-- Each thread stops after its share (total / T). wrk itself still waits out -d, so the rate is timed here: from each
-- thread's first request to its last counted answer (a monotonic clock through LuaJIT's ffi), and printed by done() as
-- FLOOD answered=<n> seconds=<s> rps=<n/s>. statuses.lua counts and prints the answers.
dofile(debug.getinfo(1, "S").source:sub(2):match("(.*/)") .. "../http/statuses.lua")

local ffi = require("ffi")
ffi.cdef [[
  typedef struct { long tv_sec; long tv_nsec; } pharos_timespec;
  int clock_gettime(int clock, pharos_timespec *ts);
]]
local CLOCK_MONOTONIC = 1
local function now()
  local ts = ffi.new("pharos_timespec")
  ffi.C.clock_gettime(CLOCK_MONOTONIC, ts)
  return tonumber(ts.tv_sec) + tonumber(ts.tv_nsec) / 1e9
end

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer not-the-token-0123456789"
wrk.body = '{"repo_url":"https://github.com/bench/flooded"}'

local count_response = response
local quota, answered = nil, 0
first, last = nil, nil

function init(args)
  quota = math.floor(tonumber(args[1]) / tonumber(args[2]))
end

function request()
  first = first or now()
  return wrk.format()
end

function response(status, headers, body)
  if answered >= quota then return end
  count_response(status, headers, body)
  answered = answered + 1
  if answered >= quota then
    last = now()
    wrk.thread:stop()
  end
end

local print_statuses = done
local threads_seen = {}
local base_setup = setup
function setup(thread)
  base_setup(thread)
  table.insert(threads_seen, thread)
end

function done(summary, latency, requests)
  print_statuses(summary, latency, requests)
  local start, finish, total = nil, nil, 0
  for _, thread in ipairs(threads_seen) do
    local f, l = thread:get("first"), thread:get("last")
    if f and (not start or f < start) then start = f end
    if l and (not finish or l > finish) then finish = l end
    local counts = thread:get("statuses")
    for _, n in pairs(counts) do total = total + n end
  end
  local seconds = (start and finish) and (finish - start) or 0
  io.write(string.format("FLOOD answered=%d seconds=%.3f rps=%.1f\n", total, seconds, seconds > 0 and total / seconds or 0))
end
