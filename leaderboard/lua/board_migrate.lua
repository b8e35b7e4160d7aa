-- Convert entries of the legacy encoding (member uid, score points * 2^31 + time) to members
-- "<tie>:<uid>" with the points as score, in the order given: each takes the next change
-- number, so the caller's order (by legacy time) is the new tie order. Idempotent: an entry
-- already converted (or gone) is skipped.
-- KEYS[1] the change counter; then per entry: KEYS[2i] its board zset (or the user's profile
-- hash, for kind "evicted") and KEYS[2i+1] that board's members hash (the profile again)
-- ARGV[1] TIE_MAX; then per entry: ARGV[3i-1] kind ("board" | "evicted"), ARGV[3i] user id,
-- ARGV[3i+1] points
-- Returns the number of entries converted.
local tie_max, converted = tonumber(ARGV[1]), 0
local function next_member(uid)
  local seq = redis.call('INCR', KEYS[1])
  return string.format('%015.0f', tie_max - seq) .. ':' .. uid
end
for i = 1, (#KEYS - 1) / 2 do
  local target, members = KEYS[2 * i], KEYS[2 * i + 1]
  local kind, uid, points = ARGV[3 * i - 1], ARGV[3 * i], ARGV[3 * i + 1]
  if kind == 'board' then
    if redis.call('ZSCORE', target, uid) then
      local member = next_member(uid)
      -- Add before removing: the board never empties on the way, so it keeps its TTL.
      redis.call('ZADD', target, points, member)
      redis.call('ZREM', target, uid)
      redis.call('HSET', members, uid, member)
      local ttl = redis.call('PTTL', target)
      if ttl > 0 then
        redis.call('PEXPIRE', members, ttl)
      end
      converted = converted + 1
    end
  else
    local evicted = redis.call('HGET', target, 'evicted')
    if evicted and not string.find(evicted, ' ') then
      redis.call('HSET', target, 'evicted', points .. ' ' .. next_member(uid))
      converted = converted + 1
    end
  end
end
return converted
