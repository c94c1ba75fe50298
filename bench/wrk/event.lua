-- POST /event with the challenge's pattern: event i carries userId "user_<i % 75000>" and
-- value i % 1000. Thread k of T sends i = k, k+T, k+2T, ... so together the threads walk
-- 0, 1, 2, ... and a capped run of N events covers exactly i < N.
--
-- Arguments (after `--`): the thread count T, then an optional cap N on the events sent.
-- With a cap, `delay()` hands out one slot per request and parks a connection for an hour
-- once the slots are gone, so no request past N is ever written; the thread whose last
-- answer arrives prints "capped" and stops. wrk's main thread still sleeps for the whole
-- -d, so the harness sends SIGINT on that line to get the summary.
--
-- `done()` prints "issued <n>": how many requests were built. A server that counts more
-- than wrk's completed requests (answers in flight at the end are not counted) but no more
-- than this has lost and invented nothing.

local threads = {}
local created = 0

function setup(thread)
  thread:set("index", created)
  created = created + 1
  table.insert(threads, thread)
end

local headers = { ["Content-Type"] = "application/json" }

function request()
  if verifying then
    -- wrk builds thread 1's first request once to check it parses, and never sends it.
    verifying = false
    return wrk.format("POST", "/event", headers, '{"userId":"user_0","value":0}')
  end
  local i = next_i
  next_i = i + step
  issued = issued + 1
  local body = '{"userId":"user_' .. (i % 75000) .. '","value":' .. (i % 1000) .. '}'
  return wrk.format("POST", "/event", headers, body)
end

local PARKED_MS = 3600 * 1000

local function reserve()
  if reserved < quota then
    reserved = reserved + 1
    return 0
  end
  return PARKED_MS
end

local function count_answer()
  answered = answered + 1
  if answered == quota then
    io.write("capped\n")
    io.flush()
    wrk.thread:stop()
  end
end

function init(args)
  step = tonumber(args[1]) or 1
  next_i = index
  issued = 0
  verifying = index == 0
  local cap = tonumber(args[2])
  if cap then
    -- The first cap % step threads take one event more, so the quotas add up to cap.
    quota = math.floor(cap / step) + ((index < cap % step) and 1 or 0)
    reserved = 0
    answered = 0
    -- wrk looks for these only after init, and only then pays for them.
    delay = reserve
    response = count_answer
  end
end

function done(summary, latency, requests)
  local total = 0
  for _, thread in ipairs(threads) do
    total = total + thread:get("issued")
  end
  io.write(string.format("issued %d\n", total))
end
