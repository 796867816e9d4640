-- GET /timestamp/<hex> cycling through the commitments listed (one hex string a line) in the file
-- named by the BENCH_HEX_FILE environment variable. Requests are formatted once, in init; each
-- thread starts at a different place in the list.
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "report.lua")

local threads = 0
function setup(thread)
  thread:set("id", threads)
  threads = threads + 1
end

local requests = {}
local count = 0
local i = 0

function init(args)
  local path = os.getenv("BENCH_HEX_FILE")
  for line in io.lines(path) do
    if #line > 0 then
      count = count + 1
      requests[count] = wrk.format("GET", "/timestamp/" .. line, { ["Accept"] = "application/vnd.opentimestamps.v1" })
    end
  end
  if count == 0 then error("no commitments in " .. tostring(path)) end
  -- spread the threads over the list
  i = math.floor(count * (id or 0) / 2) % count
end

function request()
  i = i + 1
  if i > count then i = 1 end
  return requests[i]
end

done = function(summary, latency, requests)
  report_json(summary, latency)
end
