-- Read a user's rank and points and the entries around them, with usernames (read only).
-- KEYS[1] board zset ("<tie>:<uid>" -> points)   KEYS[2] users:names hash (uid -> username)
-- KEYS[3] the hash holding the user's tie on this board (leaderboard.keys.board_tie_ref)
-- ARGV[1] user id   ARGV[2] entries to show on each side   ARGV[3] the tie's field in KEYS[3]
-- ARGV[4] (optional) the tie itself, instead of KEYS[3]'s (a hidden member on a group board,
-- whose entry there carries the tie of their parked entry)
-- Returns {} when the user is not on the board, else
-- {0-based rank, points, 0-based position of the first row, {uid1, points1, name1, ...}}.
local tie = ARGV[4] or redis.call('HGET', KEYS[3], ARGV[3])
local member = tie and (tie .. ':' .. ARGV[1])
local rank = member and redis.call('ZREVRANK', KEYS[1], member)
if not rank then
  return {}
end
local side = tonumber(ARGV[2])
local first = math.max(0, rank - side)
local rows = redis.call('ZREVRANGE', KEYS[1], first, rank + side, 'WITHSCORES')
local ids = {}
for i = 1, #rows, 2 do
  ids[#ids + 1] = string.match(rows[i], ':(.*)$')
end
local names = redis.call('HMGET', KEYS[2], unpack(ids))
local flat = {}
for i = 1, #ids do
  flat[#flat + 1] = ids[i]
  flat[#flat + 1] = rows[2 * i]
  flat[#flat + 1] = names[i]
end
return {rank, redis.call('ZSCORE', KEYS[1], member), first, flat}
