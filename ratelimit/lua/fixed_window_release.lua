-- Give back one admission of a fixed window, if that window is still the current one (a new
-- window has already forgotten it). The TTL stays: the window still ends when it ends.
-- KEYS[1] limiter hash {start, count}   ARGV[1] start of the window the admission was counted in
-- Returns 1 when a slot was given back, else 0.
local stored = redis.call('HMGET', KEYS[1], 'start', 'count')
if tonumber(stored[1]) ~= tonumber(ARGV[1]) or (tonumber(stored[2]) or 0) < 1 then
  return 0
end
redis.call('HINCRBY', KEYS[1], 'count', -1)
return 1
