-- Shared by the bench's wrk scripts: per-thread target lists and a JSON summary line.
-- Targets come from a tab-separated file (args[1]); thread i of n (args[2] = n) takes every
-- n-th line, so no two threads ever write the same response.

local threads = {}
local counter = 0

function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

function load_targets(path, nthreads)
  local out, i = {}, 0
  for line in io.lines(path) do
    if line ~= "" then
      if i % nthreads == tid then
        local fields = {}
        for f in string.gmatch(line, "([^\t]+)") do table.insert(fields, f) end
        table.insert(out, fields)
      end
      i = i + 1
    end
  end
  if #out == 0 then error("no targets for thread " .. tid) end
  return out
end

function done(summary, latency, requests)
  local exhausted = 0
  for _, t in ipairs(threads) do
    if t:get("exhausted") then exhausted = exhausted + 1 end
  end
  local e = summary.errors
  io.write(string.format(
    'BENCHJSON {"requests": %d, "duration_us": %d, "bytes": %d, ' ..
    '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, ' ..
    '"latency_us": {"p50": %d, "p90": %d, "p95": %d, "p99": %d, "max": %d, "mean": %.1f}, ' ..
    '"exhausted_threads": %d}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(95),
    latency:percentile(99), latency.max, latency.mean, exhausted))
end
