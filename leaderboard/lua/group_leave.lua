-- Take a member out of a group and off its boards in one step (group_boards_remove from
-- group_boards.lua, loaded before this script). The owner cannot leave.
-- KEYS[1] group hash   KEYS[2] its members set   KEYS[3] its joined hash
-- KEYS[4] the user's groups set   KEYS[5] the user's parked entries   KEYS[6..] board slots
-- ARGV[1] user id   ARGV[2] group id   ARGV[3] "owner_ok": the owner may go too (the group is
-- being deleted or erased), else ""   ARGV[4..] slot arguments
-- Returns "missing" (no group), "not_member", "owner" or "left".
if redis.call('EXISTS', KEYS[1]) == 0 then
  redis.call('SREM', KEYS[4], ARGV[2])  -- a dangling id (the group is gone) goes too
  return 'missing'
end
if redis.call('SISMEMBER', KEYS[2], ARGV[1]) == 0 then
  return 'not_member'
end
if ARGV[3] ~= 'owner_ok' and redis.call('HGET', KEYS[1], 'owner_id') == ARGV[1] then
  return 'owner'
end
redis.call('SREM', KEYS[2], ARGV[1])
redis.call('HDEL', KEYS[3], ARGV[1])
redis.call('SREM', KEYS[4], ARGV[2])
group_boards_remove(ARGV[1], KEYS[5], 6, 4)
return 'left'
