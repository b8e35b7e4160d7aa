-- Take a user off boards and set the flag that keeps the score script off them (`banned` or
-- `hidden`), in one atomic step. Each entry is parked ("<points> <tie> <EXPIREAT or ->") so a
-- return puts back the points and the tie that orders them among equals.
-- top_changed_record comes from leaderboard/lua/score_events.lua, loaded before this script.
-- KEYS[1] profile hash   KEYS[2] the user's parked entries hash
-- KEYS[3..7] the events' keys (leaderboard.events.score_events_keys; the global board is KEYS[5])
-- KEYS[8..] per board: the board zset, then the hash where the user's tie on it is kept
-- ARGV[1] JSON {uid, flag, set: [field, value, ...], ties: [tie field per board],
--   expires: [EXPIREAT or "-" per board], limits: [the 4 event limits], evicted_field,
--   again: true to take the user off these boards even when already off (a user's own boards,
--   e.g. a quiz board, that appeared between the caller's read and the first run)}
-- Returns {"missing"} without a profile; else {"left", entries parked, <recorded events, flat>}.
local a = cjson.decode(ARGV[1])
local uid = a.uid
local state = redis.call('HMGET', KEYS[1], 'id', 'banned', 'hidden')
if not state[1] then
  return {'missing'}
end
local already_off = state[2] or state[3]
redis.call('HSET', KEYS[1], unpack(a.set))
local parked = 0
local recorded = {}
if a.again then
  already_off = false
end
if not already_off then
  for i = 8, #KEYS, 2 do
    local n = (i - 6) / 2
    local tie = redis.call('HGET', KEYS[i + 1], a.ties[n])
    local points = tie and redis.call('ZSCORE', KEYS[i], tie .. ':' .. uid)
    if points then
      redis.call('HSET', KEYS[2], KEYS[i], points .. ' ' .. tie .. ' ' .. a.expires[n])
      redis.call('ZREM', KEYS[i], tie .. ':' .. uid)
      parked = parked + 1
    end
    if tie then
      redis.call('HDEL', KEYS[i + 1], a.ties[n])
    end
  end
  -- An evicted user's global entry waits in the profile for their next login: park it instead.
  local evicted = not a.again and redis.call('HGET', KEYS[1], a.evicted_field)
  if evicted then
    if redis.call('HEXISTS', KEYS[2], KEYS[5]) == 0 then
      redis.call('HSET', KEYS[2], KEYS[5], evicted .. ' -')
      parked = parked + 1
    end
    redis.call('HDEL', KEYS[1], a.evicted_field)
  end
  top_changed_record({KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7]}, a.limits, recorded)
end
local reply = {'left', parked}
for _, value in ipairs(recorded) do
  reply[#reply + 1] = value
end
return reply
