-- POST /digest with a 32-byte digest, as OpenTimestamps clients send it.
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "report.lua")

wrk.method = "POST"
wrk.path = "/digest"
wrk.body = "0123456789abcdef0123456789abcdef"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Accept"] = "application/vnd.opentimestamps.v1"

done = function(summary, latency, requests)
  report_json(summary, latency)
end
