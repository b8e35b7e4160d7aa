-- Give a group a new join code; the old one stops working in the same step.
-- KEYS[1] group hash   KEYS[2] the old code's key   KEYS[3] the new code's key
-- ARGV[1] group id   ARGV[2] the old code (read before)   ARGV[3] the new code
-- Returns "missing", "retry" (the code changed since it was read), "taken" (new code in use) or "rotated".
if redis.call('EXISTS', KEYS[1]) == 0 then
  return 'missing'
end
if redis.call('HGET', KEYS[1], 'join_code') ~= ARGV[2] then
  return 'retry'
end
if redis.call('SET', KEYS[3], ARGV[1], 'NX') == false then
  return 'taken'
end
redis.call('DEL', KEYS[2])
redis.call('HSET', KEYS[1], 'join_code', ARGV[3])
return 'rotated'
