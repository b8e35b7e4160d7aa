-- Evict one inactive user, atomically: only if their last activity is still older than the
-- cutoff, remove them from every leaderboard, end all their sessions and drop their last-seen
-- entry. A request that lands before this script runs has already moved last-seen past the
-- cutoff, so an active user is never removed.
-- KEYS[1] users:last-seen zset   KEYS[2] the user's profile hash   KEYS[3] the user's session index
-- KEYS[4], KEYS[5] the global board and where the user's tie on it is kept (the profile)
-- KEYS[6 .. 5+2*ARGV[3]] day and week boards, then the user's quiz boards, each followed by its members hash (uid -> tie)
-- KEYS[6+2*ARGV[3] ..] the session hashes of the ids in ARGV[6 ..], in the same order
-- ARGV[1] user id   ARGV[2] cutoff (epoch s; last-seen below it is inactive)
-- ARGV[3] number of day/week boards   ARGV[4] "1" for a dry run (count, change nothing)
-- ARGV[5] the profile field of the global-board tie
-- ARGV[6 ..] the session ids the caller read (the caller announces their end to the sockets)
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
local first_session = 6 + 2 * tonumber(ARGV[3])
local passed = {}
for i = 6, #ARGV do
  passed[ARGV[i]] = true
end
local indexed = redis.call('ZRANGE', KEYS[3], 0, -1)
if #indexed ~= #ARGV - 5 then
  return {3, 0, 0}
end
for _, sid in ipairs(indexed) do
  if not passed[sid] then
    return {3, 0, 0}
  end
end

local boards = 0
local entries = {}  -- board key -> the user's member on it
local function tie_field(i)
  return i == 4 and ARGV[5] or uid
end
for i = 4, first_session - 1, 2 do
  local tie = redis.call('HGET', KEYS[i + 1], tie_field(i))
  if tie and redis.call('ZSCORE', KEYS[i], tie .. ':' .. uid) then
    entries[KEYS[i]] = tie .. ':' .. uid
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

-- Remember the exact global entry ("<points> <tie>") so a return restores it. Never create a
-- profile that does not exist (a hash holding only the tie is none).
local global = entries[KEYS[4]]
if global and redis.call('HEXISTS', KEYS[2], 'id') == 1 then
  local score = redis.call('ZSCORE', KEYS[4], global)
  redis.call('HSET', KEYS[2], 'evicted', score .. ' ' .. string.match(global, '^(%w+):'))
end
for i = 4, first_session - 1, 2 do
  if entries[KEYS[i]] then
    redis.call('ZREM', KEYS[i], entries[KEYS[i]])
  end
  redis.call('HDEL', KEYS[i + 1], tie_field(i))
end
if #KEYS >= first_session then
  redis.call('DEL', unpack(KEYS, first_session))
end
redis.call('DEL', KEYS[3])
redis.call('ZREM', KEYS[1], uid)
return {1, boards, sessions}
