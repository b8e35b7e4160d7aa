-- Create a session and index it under its user, with its TTL, in one round trip.
-- A user the inactive sweep evicted comes back onto the global board with the exact score
-- they had (profile field `evicted`, see accounts/keys.py).
-- KEYS[1] session hash   KEYS[2] user's session index (zset)   KEYS[3] users:last-seen zset
-- KEYS[4] user profile hash (also where the user's global-board tie is kept)
-- KEYS[5] global leaderboard (zset, "<tie>:<uid>" -> points)
-- ARGV[1] session id  ARGV[2] user id
-- ARGV[3] idle timeout (s)  ARGV[4] absolute lifetime (s)  ARGV[5] now in ms ("" = Redis TIME)
-- ARGV[6] the profile field of the global-board tie (leaderboard.keys.BOARD_TIE_FIELD)
-- KEYS[6] the user's password key   ARGV[7] the password hash the login checked ("" = no check)
-- Returns {created_ms, absolute_expiry_ms}; {0, why} when no session may open: "gone" (no
-- profile: erased, or an erasure is under way), "banned", or "changed" (the password changed
-- since the login checked it). So a login racing an erasure, a ban or a password change never
-- leaves a live session: whichever runs second sees the other.
local profile = redis.call('HMGET', KEYS[4], 'id', 'banned', 'erasing')
if not profile[1] or profile[3] then
  return {0, 'gone'}
end
if profile[2] then
  return {0, 'banned'}
end
if ARGV[7] ~= '' and redis.call('GET', KEYS[6]) ~= ARGV[7] then
  return {0, 'changed'}
end
local now = tonumber(ARGV[5])
if not now then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local idle_ms = tonumber(ARGV[3]) * 1000
local abs = now + tonumber(ARGV[4]) * 1000
redis.call('HSET', KEYS[1], 'uid', ARGV[2], 'created', now, 'seen', now, 'abs', abs)
redis.call('PEXPIRE', KEYS[1], math.min(idle_ms, abs - now))
-- Absolutely expired entries can never come back; drop them while we are here.
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
redis.call('ZADD', KEYS[2], abs, ARGV[1])
-- The index lives as long as its longest-lived session could.
local newest = redis.call('ZRANGE', KEYS[2], -1, -1, 'WITHSCORES')
redis.call('PEXPIREAT', KEYS[2], tonumber(newest[2]))
redis.call('ZADD', KEYS[3], math.floor(now / 1000), ARGV[2])
-- `evicted` is "<points> <tie>"; scoring since then (a live entry) wins over it.
local evicted = redis.call('HGET', KEYS[4], 'evicted')
if evicted then
  local points, tie = string.match(evicted, '^(%S+) (%S+)$')
  if tie and redis.call('HEXISTS', KEYS[4], ARGV[6]) == 0 then
    redis.call('ZADD', KEYS[5], 'NX', points, tie .. ':' .. ARGV[2])
    redis.call('HSET', KEYS[4], ARGV[6], tie)
  end
  redis.call('HDEL', KEYS[4], 'evicted')
end
return {now, abs}
