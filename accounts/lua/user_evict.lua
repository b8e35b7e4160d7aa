-- Evict one inactive user, atomically: only if their last activity is still older than the
-- cutoff, remove them from every leaderboard, end all their sessions and drop their last-seen
-- entry. A request that lands before this script runs has already moved last-seen past the
-- cutoff, so an active user is never removed.
-- KEYS[1] users:last-seen zset   KEYS[2] the user's profile hash   KEYS[3] the user's session index
-- KEYS[4] the global board       KEYS[5 .. 4+ARGV[3]] day and week boards
-- KEYS[5+ARGV[3] ..] the session hashes of the ids in ARGV[5 ..], in the same order
-- ARGV[1] user id   ARGV[2] cutoff (epoch s; last-seen below it is inactive)
-- ARGV[3] number of day/week boards   ARGV[4] "1" for a dry run (count, change nothing)
-- ARGV[5 ..] the session ids the caller read (the caller announces their end to the sockets)
-- Returns {status, board entries, live sessions}, counting what was (or would be) removed.
-- status: 0 active (kept), 1 evicted (dry run: would be), 2 already gone (another sweep did it),
-- 3 the session index changed since the caller read it (kept; the next sweep retries).
local uid = ARGV[1]
local seen = redis.call('ZSCORE', KEYS[1], uid)
if not seen then
  return {2, 0, 0}
end
if tonumber(seen) >= tonumber(ARGV[2]) then
  return {0, 0, 0}
end

-- Session hashes can only come in through KEYS, so the caller read the index first; if it
-- moved since, some session would escape: keep the user this time.
local first_session = 5 + tonumber(ARGV[3])
local passed = {}
for i = 5, #ARGV do
  passed[ARGV[i]] = true
end
local indexed = redis.call('ZRANGE', KEYS[3], 0, -1)
if #indexed ~= #ARGV - 4 then
  return {3, 0, 0}
end
for _, sid in ipairs(indexed) do
  if not passed[sid] then
    return {3, 0, 0}
  end
end

local boards = 0
for i = 4, first_session - 1 do
  if redis.call('ZSCORE', KEYS[i], uid) then
    boards = boards + 1
  end
end
local sessions = 0
for i = first_session, #KEYS do
  sessions = sessions + redis.call('EXISTS', KEYS[i])
end
if ARGV[4] == '1' then
  return {1, boards, sessions}
end

-- Remember the exact global score (points and tie-break time) so a return restores it. Never
-- create a profile that does not exist.
local score = redis.call('ZSCORE', KEYS[4], uid)
if score and redis.call('EXISTS', KEYS[2]) == 1 then
  redis.call('HSET', KEYS[2], 'evicted', score)
end
for i = 4, first_session - 1 do
  redis.call('ZREM', KEYS[i], uid)
end
if #KEYS >= first_session then
  redis.call('DEL', unpack(KEYS, first_session))
end
redis.call('DEL', KEYS[3])
redis.call('ZREM', KEYS[1], uid)
return {1, boards, sessions}
