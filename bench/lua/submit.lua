-- Scenario 3: submit (and grade) a 20-question attempt, each attempt once.
-- Target line: cookie <TAB> csrf <TAB> attempt id. A thread that runs out of attempts stops
-- and says so (the harness then reports the run as invalid rather than count cheap repeats).
local dir = debug.getinfo(1, "S").source:sub(2):match("(.*/)") or "./"
dofile(dir .. "common.lua")

function init(args)
  targets = load_targets(args[1], tonumber(args[2]))
  n = 0
end

function request()
  n = n + 1
  if n > #targets then
    wrk.thread:set("exhausted", true)
    wrk.thread:stop()
    n = #targets
  end
  local t = targets[n]
  return wrk.format("POST", "/attempts/" .. t[3] .. "/submit", {
    ["Cookie"] = "hustings_session=" .. t[1],
    ["Content-Type"] = "application/x-www-form-urlencoded",
  }, "csrf_token=" .. t[2])
end
