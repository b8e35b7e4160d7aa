-- Add a user to a group and copy their current entries (points and tie) onto its boards, in
-- one step (group_boards_copy from group_boards.lua, loaded before this script).
-- KEYS[1] group hash   KEYS[2] its members set   KEYS[3] its joined hash
-- KEYS[4] the user's groups set   KEYS[5] the user's profile   KEYS[6] the user's parked entries
-- KEYS[7..] board slots (group_boards.lua)
-- ARGV[1] user id   ARGV[2] group id   ARGV[3] now (ISO-8601)   ARGV[4] GROUPS_MAX_PER_USER
-- ARGV[5] GROUP_MAX_MEMBERS   ARGV[6..] slot arguments
-- Returns "missing" (no such group), "member" (already one), "user_full", "group_full" or "joined".
if redis.call('EXISTS', KEYS[1]) == 0 then
  return 'missing'
end
if redis.call('SISMEMBER', KEYS[2], ARGV[1]) == 1 then
  return 'member'
end
if redis.call('SCARD', KEYS[4]) >= tonumber(ARGV[4]) then
  return 'user_full'
end
if redis.call('SCARD', KEYS[2]) >= tonumber(ARGV[5]) then
  return 'group_full'
end
redis.call('SADD', KEYS[2], ARGV[1])
redis.call('HSET', KEYS[3], ARGV[1], ARGV[3])
redis.call('SADD', KEYS[4], ARGV[2])
group_boards_copy(ARGV[1], KEYS[5], KEYS[6], 7, 6)
return 'joined'
