-- POST a well-formed ingest body with a wrong bearer token: every answer should be 401.
-- usage: wrk ... -s refuse.lua <url>
dofile(debug.getinfo(1, "S").source:sub(2):match("(.*/)") .. "statuses.lua")

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer not-the-token-0123456789"
wrk.body = '{"repo_url":"https://github.com/bench/refused"}'
