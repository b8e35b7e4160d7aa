-- The last step of an erasure: free the username and drop the profile, password and the user's
-- entries in the shared indexes, then the erasure's in-progress marker, in one atomic step.
-- KEYS[1] users:by-name hash   KEYS[2] users:names hash   KEYS[3] users:last-seen zset
-- KEYS[4] profile hash   KEYS[5] password key   KEYS[6] erasures-in-progress zset
-- ARGV[1] user id
-- Returns 1 (idempotent: a second run finds nothing left and changes nothing).
local uid = ARGV[1]
local name = redis.call('HGET', KEYS[2], uid) or redis.call('HGET', KEYS[4], 'username')
if name and redis.call('HGET', KEYS[1], string.lower(name)) == uid then
  redis.call('HDEL', KEYS[1], string.lower(name))
end
redis.call('HDEL', KEYS[2], uid)
redis.call('ZREM', KEYS[3], uid)
redis.call('DEL', KEYS[4], KEYS[5])
redis.call('ZREM', KEYS[6], uid)
return 1
