-- Scenario 1: the quiz page (article + 20 questions) of a student's open attempt.
-- Target line: cookie <TAB> attempt id.
local dir = debug.getinfo(1, "S").source:sub(2):match("(.*/)") or "./"
dofile(dir .. "common.lua")

function init(args)
  targets = load_targets(args[1], tonumber(args[2]))
  n = 0
end

function request()
  n = n + 1
  local t = targets[(n - 1) % #targets + 1]
  return wrk.format("GET", "/attempts/" .. t[2], {["Cookie"] = "hustings_session=" .. t[1]})
end
