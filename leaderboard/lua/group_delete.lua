-- Delete a group: its hash, code, memberships both ways and boards, in one step.
-- KEYS[1] group hash   KEYS[2] its members set   KEYS[3] its joined hash   KEYS[4] its join code's key
-- KEYS[5 .. 4 + ARGV[3]] its boards   then one groups set per member, in ARGV's member order
-- ARGV[1] group id   ARGV[2] the join code read with the members   ARGV[3] how many board keys
-- ARGV[4..] the member ids read before the script
-- Returns "missing", "retry" (the members or the code changed since they were read) or "deleted".
if redis.call('EXISTS', KEYS[1]) == 0 then
  return 'missing'
end
local boards = tonumber(ARGV[3])
local members = #ARGV - 3
if redis.call('HGET', KEYS[1], 'join_code') ~= ARGV[2] or redis.call('SCARD', KEYS[2]) ~= members then
  return 'retry'
end
for i = 4, #ARGV do
  if redis.call('SISMEMBER', KEYS[2], ARGV[i]) == 0 then
    return 'retry'
  end
end
for k = 5 + boards, #KEYS do
  redis.call('SREM', KEYS[k], ARGV[1])
end
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3])
redis.call('DEL', KEYS[4])
for k = 5, 4 + boards do
  redis.call('UNLINK', KEYS[k])
end
return 'deleted'
