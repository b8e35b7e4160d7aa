-- Set users' points on a board, in order: each takes the next change number, so equal points
-- rank in the order of this list, after everyone who reached them before (as scoring does).
-- KEYS[1] board zset   KEYS[2] the board's members hash   KEYS[3] the change counter
-- ARGV[1] EXPIREAT for the board and its hash ("" = none)   ARGV[2] TIE_MAX
-- ARGV[3 ..] user id, points pairs
-- Returns the number of users written.
local tie_max = tonumber(ARGV[2])
for i = 3, #ARGV, 2 do
  local uid = ARGV[i]
  local seq = redis.call('INCR', KEYS[3])
  local member = string.format('%015.0f', tie_max - seq) .. ':' .. uid
  -- Add before removing: the board never empties, so it keeps its TTL.
  redis.call('ZADD', KEYS[1], ARGV[i + 1], member)
  local old = redis.call('HGET', KEYS[2], uid)
  if old and old ~= member then
    redis.call('ZREM', KEYS[1], old)
  end
  redis.call('HSET', KEYS[2], uid, member)
end
if ARGV[1] ~= '' then
  redis.call('EXPIREAT', KEYS[1], ARGV[1])
  redis.call('EXPIREAT', KEYS[2], ARGV[1])
end
return (#ARGV - 2) / 2
