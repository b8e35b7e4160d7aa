-- Read a member's rank and score and the entries around it, with usernames (read only).
-- KEYS[1] board zset   KEYS[2] users:names hash (uid -> username)
-- ARGV[1] user id   ARGV[2] entries to show on each side
-- Returns {} when the user is not on the board, else
-- {0-based rank, encoded score, 0-based position of the first row, {uid1, score1, name1, ...}}.
local rank = redis.call('ZREVRANK', KEYS[1], ARGV[1])
if not rank then
  return {}
end
local side = tonumber(ARGV[2])
local first = math.max(0, rank - side)
local rows = redis.call('ZREVRANGE', KEYS[1], first, rank + side, 'WITHSCORES')
local ids = {}
for i = 1, #rows, 2 do
  ids[#ids + 1] = rows[i]
end
local names = redis.call('HMGET', KEYS[2], unpack(ids))
local flat = {}
for i = 1, #ids do
  flat[#flat + 1] = ids[i]
  flat[#flat + 1] = rows[2 * i]
  flat[#flat + 1] = names[i]
end
return {rank, redis.call('ZSCORE', KEYS[1], ARGV[1]), first, flat}
