-- Restore one user from the PostgreSQL record: profile, password hash, name indexes, best
-- per quiz and board entries, all or nothing. Never over a live profile unless forced.
-- KEYS[1] user profile hash   KEYS[2] user password key   KEYS[3] users:by-name hash
-- KEYS[4] users:names hash    KEYS[5] user's best-per-quiz hash
-- KEYS[6..] boards: the global one, then each period board the user scored on
-- ARGV[1] "1" = force   ARGV[2] user id   ARGV[3] username   ARGV[4] lower(username)
-- ARGV[5] total_score   ARGV[6] quizzes_solved   ARGV[7] created_at   ARGV[8] role
-- ARGV[9] password hash   ARGV[10] best JSON {quiz id: score}
-- ARGV[11..] per board in KEYS[6..]: encoded score ("" = no entry), EXPIREAT ("" = none)
-- Returns 1 restored, 0 skipped (the profile exists), -1 the name belongs to another user.
local force = ARGV[1] == '1'
if not force and redis.call('EXISTS', KEYS[1]) == 1 then
  return 0
end
local owner = redis.call('HGET', KEYS[3], ARGV[4])
if owner and owner ~= ARGV[2] and not force then
  return -1
end
redis.call('HSET', KEYS[1], 'id', ARGV[2], 'username', ARGV[3], 'total_score', ARGV[5],
  'quizzes_solved', ARGV[6], 'created_at', ARGV[7], 'role', ARGV[8])
redis.call('SET', KEYS[2], ARGV[9])
redis.call('HSET', KEYS[3], ARGV[4], ARGV[2])
redis.call('HSET', KEYS[4], ARGV[2], ARGV[3])
local best = cjson.decode(ARGV[10])
for quiz, score in pairs(best) do
  redis.call('HSET', KEYS[5], quiz, score)
end
for i = 6, #KEYS do
  local score, expire_at = ARGV[11 + (i - 6) * 2], ARGV[12 + (i - 6) * 2]
  if score ~= '' then
    if force then
      redis.call('ZADD', KEYS[i], score, ARGV[2])
    else
      redis.call('ZADD', KEYS[i], 'NX', score, ARGV[2])
    end
    if expire_at ~= '' then
      redis.call('EXPIREAT', KEYS[i], expire_at)
    end
  end
end
return 1
