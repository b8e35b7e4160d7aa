-- Read a user's rank and points on a board (read only), finding their member first.
-- KEYS[1] board zset ("<tie>:<uid>" -> points)
-- KEYS[2] the hash holding the user's tie on this board (leaderboard.keys.board_tie_ref)
-- KEYS[3] (optional) the user's profile hash, to tell an unknown user from an unranked one
-- ARGV[1] user id   ARGV[2] the tie's field in KEYS[2]
-- Returns {0-based rank or -1 when unranked, points ("0" when unranked), profile exists (1/0)}.
local exists = 1
if KEYS[3] then
  exists = redis.call('HEXISTS', KEYS[3], 'id')
end
local tie = redis.call('HGET', KEYS[2], ARGV[2])
local member = tie and (tie .. ':' .. ARGV[1])
local rank = member and redis.call('ZREVRANK', KEYS[1], member)
if not rank then
  return {-1, '0', exists}
end
return {rank, redis.call('ZSCORE', KEYS[1], member), exists}
