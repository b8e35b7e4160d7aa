-- Set users' points on a board, in order: each takes the next change number, so equal points
-- rank in the order of this list, after everyone who reached them before (as scoring does).
-- KEYS[1] board zset   KEYS[2] the change counter   KEYS[3] the hash that expires with the board
-- (its members hash; unused without an expiry)   KEYS[3+i] where entry i's tie is kept
-- (leaderboard.keys.board_tie_ref)
-- ARGV[1] EXPIREAT for KEYS[1] and KEYS[3] ("" = none)   ARGV[2] TIE_MAX
-- ARGV[3 ..] user id, points, tie field triples
-- Returns the number of users written.
-- tie_of(seq, tie_max) comes from leaderboard/lua/tie.lua, loaded before this script.
local tie_max, n = tonumber(ARGV[2]), 0
for i = 3, #ARGV, 3 do
  n = n + 1
  local uid, ref, field = ARGV[i], KEYS[3 + n], ARGV[i + 2]
  local tie = tie_of(redis.call('INCR', KEYS[2]), tie_max)
  -- Add before removing: the board never empties, so it keeps its TTL.
  redis.call('ZADD', KEYS[1], ARGV[i + 1], tie .. ':' .. uid)
  local old = redis.call('HGET', ref, field)
  if old then
    redis.call('ZREM', KEYS[1], old .. ':' .. uid)
  end
  redis.call('HSET', ref, field, tie)
end
if ARGV[1] ~= '' then
  redis.call('EXPIREAT', KEYS[1], ARGV[1])
  redis.call('EXPIREAT', KEYS[3], ARGV[1])
end
return n
