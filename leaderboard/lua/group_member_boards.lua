-- Take a member's entries off one group's boards, or copy them back on, without changing the
-- membership (a ban, an unban, the inactive sweep); a user no longer in the group is left alone.
-- group_boards_copy / group_boards_remove come from group_boards.lua, loaded before this script.
-- KEYS[1] the group's members set   KEYS[2] the user's profile   KEYS[3] the user's parked entries
-- KEYS[4..] board slots (group_boards.lua)
-- ARGV[1] user id   ARGV[2] "on", "off" or "resync" (off by the uid suffix, whatever tie the entry
-- has, then on: after a disqualification moved the user's entries)   ARGV[3..] slot arguments
-- Returns 1 when the user is a member (and the boards were written), else 0.
if redis.call('SISMEMBER', KEYS[1], ARGV[1]) == 0 then
  return 0
end
if ARGV[2] == 'resync' then
  -- A group board holds at most GROUP_MAX_MEMBERS entries; uids are hex (no glob characters).
  for k = 4, #KEYS, 3 do
    local cursor = '0'
    repeat
      local page = redis.call('ZSCAN', KEYS[k], cursor, 'MATCH', '*:' .. ARGV[1], 'COUNT', 1000)
      cursor = page[1]
      for i = 1, #page[2], 2 do
        redis.call('ZREM', KEYS[k], page[2][i])
      end
    until cursor == '0'
  end
end
if ARGV[2] == 'on' or ARGV[2] == 'resync' then
  group_boards_copy(ARGV[1], KEYS[2], KEYS[3], 4, 3)
else
  group_boards_remove(ARGV[1], KEYS[3], 4, 3)
end
return 1
