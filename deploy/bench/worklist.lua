-- wrk driver for GET /v1/letters: cycles through the requests listed in BENCH_REQUESTS (one per
-- line: a path with its query string, a tab, a bearer token), each connection starting at a
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

local threads = {}
counter, failures = 0, 0

function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end

function init()
  counter = tid or 0
end

function request()
  counter = counter + 1
  return requests[(counter % #requests) + 1]
end

function response(status)
  if status ~= 200 then failures = failures + 1 end
end

function done(summary, latency)
  local f = 0
  for _, t in ipairs(threads) do f = f + t:get("failures") end
  io.write(string.format("worklist_requests_per_second=%.1f\n", summary.requests / (summary.duration / 1e6)))
  io.write(string.format("worklist_p50_ms=%.2f\nworklist_p90_ms=%.2f\nworklist_p99_ms=%.2f\n",
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000))
  io.write(string.format("worklist_non_200=%d\nworklist_errors=%d\n", f,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
