-- Replace a quiz's definition and bump its version; drop what the old version no longer needs.
-- KEYS[1] quiz hash   KEYS[2] quiz versions hash   KEYS[3] quiz pending hash
-- ARGV[1] expected current version ("" = any; PATCH merges on a read, so it must not be stale)
-- ARGV[2] title   ARGV[3] questions JSON   ARGV[4] shape   ARGV[5] question_count
-- ARGV[6] max_score   ARGV[7] answer key JSON   ARGV[8] updated_at (ISO-8601)
-- KEYS[4], ARGV[9] (only with the archive on) outbox stream and its cap
-- Returns the new version; 0 when the quiz does not exist; -1 when ARGV[1] is not current.
local old = redis.call('HGET', KEYS[1], 'version')
if not old then
  return 0
end
if ARGV[1] ~= '' and ARGV[1] ~= old then
  return -1
end
local version = redis.call('HINCRBY', KEYS[1], 'version', 1)
redis.call('HSET', KEYS[1], 'title', ARGV[2], 'questions', ARGV[3], 'shape', ARGV[4],
  'question_count', ARGV[5], 'max_score', ARGV[6], 'updated_at', ARGV[8])
redis.call('HSET', KEYS[2], version, ARGV[7])
-- The old answer key stays only while a queued submission still has to be graded with it.
if not redis.call('HGET', KEYS[3], old) then
  redis.call('HDEL', KEYS[2], old)
end
if KEYS[4] then
  local quiz = redis.call('HMGET', KEYS[1], 'id', 'question_count', 'max_score', 'shape', 'created_at')
  local data = cjson.encode({id = quiz[1], version = version, title = ARGV[2], questions = ARGV[3],
    shape = quiz[4], question_count = tonumber(quiz[2]), max_score = tonumber(quiz[3]),
    created_at = quiz[5], updated_at = ARGV[8], answer_key = ARGV[7]})
  redis.call('XADD', KEYS[4], 'MAXLEN', '~', ARGV[9], '*', 'type', 'quiz.saved', 'data', data)
end
-- The new version is the invalidation: cached results are stored per version (quizzes/results.py).
return version
