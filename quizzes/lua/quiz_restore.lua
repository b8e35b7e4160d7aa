-- Restore one quiz from the PostgreSQL record, unless Redis holds the same or a newer version.
-- KEYS[1] quiz hash   KEYS[2] quizzes index zset   KEYS[3] quiz versions hash
-- ARGV[1] "1" = force   ARGV[2] quiz id   ARGV[3] version   ARGV[4] created (epoch ms)
-- ARGV[5] answer key JSON   ARGV[6..] quiz hash field, value pairs
-- Returns 1 restored, 0 skipped.
local current = tonumber(redis.call('HGET', KEYS[1], 'version') or '0')
if ARGV[1] ~= '1' and current >= tonumber(ARGV[3]) then
  return 0
end
redis.call('HSET', KEYS[1], unpack(ARGV, 6))
redis.call('ZADD', KEYS[2], ARGV[4], ARGV[2])
redis.call('HSET', KEYS[3], ARGV[3], ARGV[5])
return 1
