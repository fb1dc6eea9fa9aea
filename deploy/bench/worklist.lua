-- wrk driver for GET /v1/letters: cycles through the requests listed in BENCH_REQUESTS (one per
-- line: a path with its query string, a tab, a bearer token), each thread starting at a
-- different line so that the mix is the same at every moment.
local file = os.getenv("BENCH_REQUESTS") or error("BENCH_REQUESTS is unset")
local requests = {}
for line in io.lines(file) do
  local path, token = line:match("^([^\t]+)\t(.+)$")
  if path then
    table.insert(requests, wrk.format("GET", path, { ["Authorization"] = "Bearer " .. token }))
  end
end
assert(#requests > 0, "no requests in " .. file)

local threads = 0
counter = 0

function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end

function init()
  counter = tid or 0
end

-- BENCH_THINK_MS: each connection waits this long before each request (staff reading the page), so the
-- latency is measured below saturation; unset, connections send back to back.
local think = tonumber(os.getenv("BENCH_THINK_MS") or "")
if think then
  function delay()
    return think
  end
end

function request()
  counter = counter + 1
  return requests[(counter % #requests) + 1]
end

-- No response() callback: with one, wrk hands every body (tens of kB here) to Lua, which costs the
-- client CPU that the service shares on this machine. Non-2xx answers are in summary.errors.status.
function done(summary, latency)
  io.write(string.format("worklist_requests_per_second=%.1f\n", (summary.requests - summary.errors.status) / (summary.duration / 1e6)))
  io.write(string.format("worklist_p50_ms=%.2f\nworklist_p90_ms=%.2f\nworklist_p99_ms=%.2f\n",
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000))
  io.write(string.format("worklist_non_2xx=%d\nworklist_errors=%d\n", summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
