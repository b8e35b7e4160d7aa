-- Create a group, its join code and the owner's membership, with the owner's entries copied
-- onto its boards (group_boards_copy from group_boards.lua, loaded before this script).
-- KEYS[1] group hash   KEYS[2] its members set   KEYS[3] its joined hash
-- KEYS[4] the owner's groups set   KEYS[5] the owner's profile   KEYS[6] the owner's parked entries
-- KEYS[7] the join code's key   KEYS[8..] board slots (group_boards.lua)
-- ARGV[1] owner id   ARGV[2] group id   ARGV[3] now (ISO-8601)   ARGV[4] GROUPS_MAX_PER_USER
-- ARGV[5] name   ARGV[6] join code   ARGV[7..] slot arguments
-- Returns "created", "user_full" (the owner is in too many groups) or "taken" (code or id in use).
if redis.call('SCARD', KEYS[4]) >= tonumber(ARGV[4]) then
  return 'user_full'
end
if redis.call('EXISTS', KEYS[1]) == 1 or redis.call('SET', KEYS[7], ARGV[2], 'NX') == false then
  return 'taken'
end
redis.call('HSET', KEYS[1], 'id', ARGV[2], 'name', ARGV[5], 'owner_id', ARGV[1], 'created_at', ARGV[3],
  'join_code', ARGV[6])
redis.call('SADD', KEYS[2], ARGV[1])
redis.call('HSET', KEYS[3], ARGV[1], ARGV[3])
redis.call('SADD', KEYS[4], ARGV[2])
group_boards_copy(ARGV[1], KEYS[5], KEYS[6], 8, 7)
return 'created'
