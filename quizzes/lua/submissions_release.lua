-- Let archived submissions expire, and take them out of their quizzes' results index, in one
-- call (a command per key cost the archiver more than its PostgreSQL writes: bench/archive.py).
-- KEYS[1..n] submission hashes, then KEYS[n+1..] quiz submissions zsets
-- ARGV[1] TTL (s)   ARGV[2] n   ARGV[3..] per zset: how many ids follow, then the ids
-- Returns the number of hashes given a TTL.
local n = tonumber(ARGV[2])
local expired = 0
for i = 1, n do
  expired = expired + redis.call('EXPIRE', KEYS[i], ARGV[1])
end
local at = 3
for z = n + 1, #KEYS do
  local count = tonumber(ARGV[at])
  redis.call('ZREM', KEYS[z], unpack(ARGV, at + 1, at + count))
  at = at + count + 1
end
return expired
