-- Delete a quiz; keep only the answer keys that queued submissions still need for grading.
-- KEYS[1] quiz hash   KEYS[2] quizzes index zset   KEYS[3] quiz versions hash
-- KEYS[4] quiz pending hash   KEYS[5] quiz submissions zset
-- KEYS[6] KEYS[7] the quiz's board and its members hash (deleted with it)
-- ARGV[1] quiz id
-- KEYS[8], ARGV[2], ARGV[3] (only with the archive on) outbox stream, its cap, the entry's data JSON
-- Returns 1 when deleted, 0 when there was no such quiz.
if redis.call('EXISTS', KEYS[1]) == 0 then
  return 0
end
redis.call('DEL', KEYS[1], KEYS[5], KEYS[6], KEYS[7])
redis.call('ZREM', KEYS[2], ARGV[1])
for _, version in ipairs(redis.call('HKEYS', KEYS[3])) do
  if not redis.call('HGET', KEYS[4], version) then
    redis.call('HDEL', KEYS[3], version)
  end
end
if KEYS[8] then
  redis.call('XADD', KEYS[8], 'MAXLEN', '~', ARGV[2], '*', 'type', 'quiz.deleted', 'data', ARGV[3])
end
return 1
