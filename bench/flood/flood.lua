-- POST a well-formed ingest body with a wrong bearer token, a fixed number of requests in all.
-- usage: wrk -t<T> ... -s flood.lua <url> -- <total requests> <T>
-- Each thread stops after its share (total / T); statuses.lua counts and prints the answers.
dofile(debug.getinfo(1, "S").source:sub(2):match("(.*/)") .. "../http/statuses.lua")

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer not-the-token-0123456789"
wrk.body = '{"repo_url":"https://github.com/bench/flooded"}'

local count_response = response
local quota, answered = nil, 0

function init(args)
  quota = math.floor(tonumber(args[1]) / tonumber(args[2]))
end

function response(status, headers, body)
  if answered >= quota then return end
  count_response(status, headers, body)
  answered = answered + 1
  if answered >= quota then wrk.thread:stop() end
end
