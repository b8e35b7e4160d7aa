-- Convert entries of the legacy encoding (member uid, score points * 2^31 + time) to members
-- "<tie>:<uid>" with the points as score, in the order given: each takes the next change
-- number, so the caller's order (by legacy time) is the new tie order. Idempotent: an entry
-- already converted (or gone) is skipped.
-- KEYS[1] the change counter; then per entry: KEYS[2i] its board zset (or the user's profile
-- hash, for kind "evicted") and KEYS[2i+1] where its tie is kept (leaderboard.keys.board_tie_ref;
-- the profile again for "evicted")
-- ARGV[1] TIE_MAX; then per entry: ARGV[4i-2] kind ("board" | "evicted"), ARGV[4i-1] user id,
-- ARGV[4i] points, ARGV[4i+1] the tie's field
-- Returns the number of entries converted.
-- tie_of(seq, tie_max) comes from leaderboard/lua/tie.lua, loaded before this script.
local tie_max, converted = tonumber(ARGV[1]), 0
local function next_tie()
  return tie_of(redis.call('INCR', KEYS[1]), tie_max)
end
for i = 1, (#KEYS - 1) / 2 do
  local target, ref = KEYS[2 * i], KEYS[2 * i + 1]
  local kind, uid, points, field = ARGV[4 * i - 2], ARGV[4 * i - 1], ARGV[4 * i], ARGV[4 * i + 1]
  if kind == 'board' then
    if redis.call('ZSCORE', target, uid) then
      local tie = next_tie()
      -- Add before removing: the board never empties on the way, so it keeps its TTL.
      redis.call('ZADD', target, points, tie .. ':' .. uid)
      redis.call('ZREM', target, uid)
      redis.call('HSET', ref, field, tie)
      local ttl = redis.call('PTTL', target)
      if ttl > 0 and field == uid then  -- a members hash; never a profile
        redis.call('PEXPIRE', ref, ttl)
      end
      converted = converted + 1
    end
  else
    local evicted = redis.call('HGET', target, 'evicted')
    if evicted and not string.find(evicted, ' ') then
      redis.call('HSET', target, 'evicted', points .. ' ' .. next_tie())
      converted = converted + 1
    end
  end
end
return converted
