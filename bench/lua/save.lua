-- Scenario 2: autosave of one answer (JSON, X-CSRFToken), a newer seq each time round.
-- Target line: cookie <TAB> csrf <TAB> attempt id <TAB> position <TAB> value as JSON.
-- args: targets file, number of threads, first seq (above every seq already stored).
-- Targets are visited round-robin; a thread has far more targets than connections, so two
-- saves of the same response are never in flight together (no false "stale" refusals).
local dir = debug.getinfo(1, "S").source:sub(2):match("(.*/)") or "./"
dofile(dir .. "common.lua")

function init(args)
  targets = load_targets(args[1], tonumber(args[2]))
  base = tonumber(args[3])
  n = 0
end

function request()
  n = n + 1
  local t = targets[(n - 1) % #targets + 1]
  local seq = base + math.floor((n - 1) / #targets)
  local body = '{"value": ' .. t[5] .. ', "seq": ' .. seq .. '}'
  return wrk.format("POST", "/attempts/" .. t[3] .. "/responses/" .. t[4], {
    ["Cookie"] = "hustings_session=" .. t[1],
    ["X-CSRFToken"] = t[2],
    ["Content-Type"] = "application/json",
    ["Accept"] = "application/json",
  }, body)
end
