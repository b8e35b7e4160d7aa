-- Authenticate: read a session, enforce the absolute cap, slide the idle TTL and record
-- activity, all in the one round trip a request spends on authentication.
-- KEYS[1] session hash   KEYS[2] the token's user profile hash   KEYS[3] users:last-seen zset
-- ARGV[1] idle timeout (s)  ARGV[2] activity write interval (s)  ARGV[3] user id from the token
-- ARGV[4] now in ms ("" = Redis TIME)
-- Returns nil when there is no live session for that user, else
-- {uid, username, role, created_ms, absolute_expiry_ms, ttl_ms}.
local s = redis.call('HMGET', KEYS[1], 'uid', 'created', 'seen', 'abs')
if (not s[1]) or s[1] ~= ARGV[3] then
  return nil
end
local now = tonumber(ARGV[4])
if not now then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local abs = tonumber(s[4])
if now >= abs then
  redis.call('DEL', KEYS[1])
  return nil
end
local ttl = math.min(tonumber(ARGV[1]) * 1000, abs - now)
redis.call('PEXPIRE', KEYS[1], ttl)
-- Activity is written at most once per interval, so a busy user costs no extra writes.
local interval_ms = tonumber(ARGV[2]) * 1000
if now - tonumber(s[3]) >= interval_ms then
  redis.call('HSET', KEYS[1], 'seen', now)
end
local last = redis.call('ZSCORE', KEYS[3], s[1])
if (not last) or (now - tonumber(last) * 1000 >= interval_ms) then
  redis.call('ZADD', KEYS[3], math.floor(now / 1000), s[1])
end
local p = redis.call('HMGET', KEYS[2], 'username', 'role')
return {s[1], p[1], p[2], s[2], s[4], ttl}
