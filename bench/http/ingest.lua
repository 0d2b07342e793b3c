-- POST /ingest with the admin token and a distinct repo URL per request (run prefix + thread id + counter),
-- since the node answers 409 to a repo that is already queued.
-- usage: wrk ... -s ingest.lua <url> -- <token> <run-prefix> [<repo base URL, default https://github.com>]
dofile(debug.getinfo(1, "S").source:sub(2):match("(.*/)") .. "statuses.lua")

local counter = 0
local prefix = "run"
local base = "https://github.com"

function init(args)
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  if args[1] then wrk.headers["Authorization"] = "Bearer " .. args[1] end
  if args[2] then prefix = args[2] end
  if args[3] then base = args[3] end
end

function request()
  counter = counter + 1
  local body = string.format('{"repo_url":"%s/bench-%s/t%d-r%d"}', base, prefix, id, counter)
  return wrk.format(nil, nil, nil, body)
end
