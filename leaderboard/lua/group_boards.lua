-- Library (loaded before the group scripts): copy a user's entries onto a group's boards, or take
-- them off. A group board's member is the user's member on the global board of that period
-- ("<tie>:<uid>", same points), so it ranks with the same points and the same tie rule.
-- Board slots run from KEYS[first_key] to the end, three keys each: the group board, the global
-- (or period) board it copies, the hash holding the user's tie on that board
-- (leaderboard.keys.board_tie_ref); and two ARGV each from ARGV[first_arg]: that tie's field,
-- the group board's EXPIREAT ("-": none).
-- A hidden user's entries are parked (accounts: "<points> <tie> <EXPIREAT or ->" per board key),
-- and group boards still show them (API.md); a banned user's are parked too, and shown nowhere.
local function group_slot_arg(first_key, first_arg, k)
  return first_arg + (k - first_key) / 3 * 2
end

local function group_boards_copy(uid, profile, parked, first_key, first_arg)
  local state = redis.call('HMGET', profile, 'banned', 'hidden')
  if state[1] then
    return
  end
  for k = first_key, #KEYS, 3 do
    local a = group_slot_arg(first_key, first_arg, k)
    local points, tie
    if state[2] then
      local entry = redis.call('HGET', parked, KEYS[k + 1])
      if entry then
        points, tie = string.match(entry, '^(%S+) (%S+)')
      end
    else
      tie = redis.call('HGET', KEYS[k + 2], ARGV[a])
      points = tie and redis.call('ZSCORE', KEYS[k + 1], tie .. ':' .. uid)
    end
    if points then
      redis.call('ZADD', KEYS[k], points, tie .. ':' .. uid)
      if ARGV[a + 1] ~= '-' then
        redis.call('EXPIREAT', KEYS[k], ARGV[a + 1])
      end
    end
  end
end

-- Both candidates go: the tie kept for the board and the parked one (a hidden user's).
local function group_boards_remove(uid, parked, first_key, first_arg)
  for k = first_key, #KEYS, 3 do
    local a = group_slot_arg(first_key, first_arg, k)
    local tie = redis.call('HGET', KEYS[k + 2], ARGV[a])
    if tie then
      redis.call('ZREM', KEYS[k], tie .. ':' .. uid)
    end
    local entry = redis.call('HGET', parked, KEYS[k + 1])
    local parked_tie = entry and string.match(entry, '^%S+ (%S+)')
    if parked_tie then
      redis.call('ZREM', KEYS[k], parked_tie .. ':' .. uid)
    end
  end
end
