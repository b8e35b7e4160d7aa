-- Fixed window: at most ARGV[1] admissions per aligned window of ARGV[2] ms.
-- A rejected attempt writes nothing, so it neither uses quota nor extends the window.
-- KEYS[1] limiter hash {start = window start (epoch ms), count = admissions in that window}
-- ARGV[1] limit  ARGV[2] window (ms)  ARGV[3] now (epoch ms; "" = Redis TIME)
-- Returns {allowed (1|0), count after this call, reset_ms (until the window ends),
--          retry_after_ms (0 when allowed), window start (epoch ms: what a release names)}.
-- The window start lives in the value, not the key name, because the time comes from Redis
-- TIME inside the script and every key must arrive through KEYS.
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
if not now then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local start = now - (now % window)
local reset = start + window - now

local stored = redis.call('HMGET', KEYS[1], 'start', 'count')
local count = 0
if tonumber(stored[1]) == start then
  count = tonumber(stored[2]) or 0
end
if count >= limit then
  return {0, count, reset, reset, start}
end

if count == 0 then
  -- First hit of this window: (re)start the counter and give it the window's remaining life
  -- in the same step, so the key can never exist without a TTL.
  redis.call('HSET', KEYS[1], 'start', start, 'count', 1)
  redis.call('PEXPIRE', KEYS[1], reset)
else
  redis.call('HINCRBY', KEYS[1], 'count', 1)
end
return {1, count + 1, reset, 0, start}
