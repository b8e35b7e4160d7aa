-- Mark a queued submission failed (a permanent error, or retries exhausted) and release its
-- pin on the quiz version's answer key. A processed submission is never changed.
-- KEYS[1] submission hash   KEYS[2] quiz hash   KEYS[3] quiz versions hash
-- KEYS[4] quiz pending hash   KEYS[5] queued-submissions index zset
-- ARGV[1] reason   ARGV[2] failed at (ISO-8601)   ARGV[3] submission id
-- Returns 1 when marked, 0 when the submission was not queued (or does not exist).
local s = redis.call('HMGET', KEYS[1], 'status', 'quiz_version')
if s[1] ~= 'queued' then
  return 0
end
redis.call('HSET', KEYS[1], 'status', 'failed', 'reason', ARGV[1], 'processed_at', ARGV[2])
redis.call('ZREM', KEYS[5], ARGV[3])
local version = s[2]
if redis.call('HINCRBY', KEYS[4], version, -1) <= 0 then
  redis.call('HDEL', KEYS[4], version)
  if redis.call('HGET', KEYS[2], 'version') ~= version then
    redis.call('HDEL', KEYS[3], version)
  end
end
return 1
