-- Store computed results only if they are still current: the caller must still hold its lease
-- (an update deletes it) and the quiz must still be at the version the results were computed
-- for. So a reader that started before an update can never store a stale value after it.
-- KEYS[1] quiz hash   KEYS[2] results cache hash   KEYS[3] results lease string
-- ARGV[1] lease token   ARGV[2] version the results describe   ARGV[3] results JSON
-- ARGV[4] cache TTL (s)
-- Returns 1 when stored, 0 when refused.
if redis.call('GET', KEYS[3]) ~= ARGV[1] then
  return 0
end
redis.call('DEL', KEYS[3])
if redis.call('HGET', KEYS[1], 'version') ~= ARGV[2] then
  return 0
end
redis.call('HSET', KEYS[2], 'version', ARGV[2], 'body', ARGV[3])
redis.call('EXPIRE', KEYS[2], ARGV[4])
return 1
