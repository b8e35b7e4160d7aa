-- Restore one user from the PostgreSQL record: profile, password hash, name indexes, best
-- per quiz and board entries, all or nothing. Never over a live profile (or a board entry the
-- user already has) unless forced.
-- KEYS[1] user profile hash   KEYS[2] user password key   KEYS[3] users:by-name hash
-- KEYS[4] users:names hash    KEYS[5] user's best-per-quiz hash   KEYS[6] the boards' tie counter
-- KEYS[7..] per board: the board zset, then the hash holding the user's tie on it
-- ARGV[1] "1" = force   ARGV[2] user id   ARGV[3] username   ARGV[4] lower(username)
-- ARGV[5] total_score   ARGV[6] quizzes_solved   ARGV[7] created_at   ARGV[8] role
-- ARGV[9] password hash   ARGV[10] best JSON {quiz id: score}   ARGV[11] the user's highest tie seq
-- ARGV[12..] per board: points, tie, the tie's field, EXPIREAT ("" = none)
-- Returns 1 restored, 0 skipped (the profile exists), -1 the name belongs to another user.
local force = ARGV[1] == '1'
local uid = ARGV[2]
if not force and redis.call('EXISTS', KEYS[1]) == 1 then
  return 0
end
local owner = redis.call('HGET', KEYS[3], ARGV[4])
if owner and owner ~= uid and not force then
  return -1
end
redis.call('HSET', KEYS[1], 'id', uid, 'username', ARGV[3], 'total_score', ARGV[5],
  'quizzes_solved', ARGV[6], 'created_at', ARGV[7], 'role', ARGV[8])
redis.call('SET', KEYS[2], ARGV[9])
redis.call('HSET', KEYS[3], ARGV[4], uid)
redis.call('HSET', KEYS[4], uid, ARGV[3])
for quiz, score in pairs(cjson.decode(ARGV[10])) do
  redis.call('HSET', KEYS[5], quiz, score)
end
-- New changes must order after every restored one.
local seq = tonumber(ARGV[11])
if tonumber(redis.call('GET', KEYS[6]) or '0') < seq then
  redis.call('SET', KEYS[6], ARGV[11])
end
local at = 12
for i = 7, #KEYS, 2 do
  local board, ties = KEYS[i], KEYS[i + 1]
  local points, tie, field, expire_at = ARGV[at], ARGV[at + 1], ARGV[at + 2], ARGV[at + 3]
  at = at + 4
  local held = redis.call('HGET', ties, field)
  if force or not held then
    if held then
      redis.call('ZREM', board, held .. ':' .. uid)
    end
    redis.call('ZADD', board, points, tie .. ':' .. uid)
    redis.call('HSET', ties, field, tie)
    if expire_at ~= '' then
      redis.call('EXPIREAT', board, expire_at)
      redis.call('EXPIREAT', ties, expire_at)
    end
  end
end
return 1
