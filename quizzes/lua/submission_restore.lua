-- Queue again an accepted submission that Redis lost before it was scored (rebuild_redis), as
-- submission_accept.lua recorded it: the submission, its indexes, its version's pending count and
-- answer key. The score job is enqueued after this (quizzes/relay.py's script, which skips a job
-- that exists).
-- KEYS[1] submission hash   KEYS[2] quiz submissions zset   KEYS[3] queued-submissions index zset
-- KEYS[4] quiz pending hash   KEYS[5] quiz versions hash
-- ARGV[1] submission id   ARGV[2] user id   ARGV[3] quiz id   ARGV[4] quiz version
-- ARGV[5] answers   ARGV[6] created_at (ISO-8601)   ARGV[7] created_at (epoch ms)
-- ARGV[8] that version's answer key JSON
-- Returns 1 when restored, 0 when Redis has the submission already.
if redis.call('EXISTS', KEYS[1]) == 1 then
  return 0
end
redis.call('HSET', KEYS[1], 'id', ARGV[1], 'user_id', ARGV[2], 'quiz_id', ARGV[3],
  'quiz_version', ARGV[4], 'answers', ARGV[5], 'status', 'queued',
  'created_at', ARGV[6], 'created_ms', ARGV[7])
redis.call('ZADD', KEYS[2], ARGV[7], ARGV[1])
redis.call('ZADD', KEYS[3], ARGV[7], ARGV[1])
redis.call('HINCRBY', KEYS[4], ARGV[4], 1)
redis.call('HSETNX', KEYS[5], ARGV[4], ARGV[8])
return 1
