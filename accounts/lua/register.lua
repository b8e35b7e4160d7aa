-- Claim a username and create the user in one step (never check-then-set).
-- KEYS[1] users:by-name hash   KEYS[2] user profile hash
-- KEYS[3] user password key    KEYS[4] users:names hash
-- ARGV[1] lower-cased username  ARGV[2] user id  ARGV[3] username as typed
-- ARGV[4] password hash         ARGV[5] created_at (ISO-8601)  ARGV[6] role
-- KEYS[5], ARGV[7], ARGV[8] (only with the archive on) outbox stream, its cap, the entry's data JSON
-- Returns 1 when created, 0 when the name is taken (or the id collides).
if redis.call('EXISTS', KEYS[2]) == 1 then
  return 0
end
if redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2]) == 0 then
  return 0
end
redis.call('HSET', KEYS[2],
  'id', ARGV[2], 'username', ARGV[3], 'total_score', 0, 'quizzes_solved', 0,
  'created_at', ARGV[5], 'role', ARGV[6])
redis.call('SET', KEYS[3], ARGV[4])
redis.call('HSET', KEYS[4], ARGV[2], ARGV[3])
if KEYS[5] then
  redis.call('XADD', KEYS[5], 'MAXLEN', '~', ARGV[7], '*', 'type', 'user.registered', 'data', ARGV[8])
end
return 1
