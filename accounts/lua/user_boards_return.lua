-- Clear a flag (`banned` or `hidden`) and, unless the other one still holds the user off the
-- boards, put every parked entry back with its points and tie, in one atomic step. Entries of
-- boards that have expired meanwhile are dropped; the others get their board's EXPIREAT again.
-- top_changed_record comes from leaderboard/lua/score_events.lua, loaded before this script.
-- KEYS[1] profile hash   KEYS[2] the user's parked entries hash
-- KEYS[3..7] the events' keys (leaderboard.events.score_events_keys)
-- KEYS[8..] per parked board: the board zset, then the hash where the user's tie on it is kept
-- ARGV[1] JSON {uid, clear: [profile fields to delete], other: the other flag's field,
--   ties: [tie field per board], now: epoch s, limits: [the 4 event limits]}
-- Returns {"missing"}; {"retry"} when the parked boards are not exactly those passed (read
-- again); {"still_off"} when the other flag holds; else {"back", entries restored, <events>}.
local a = cjson.decode(ARGV[1])
local uid = a.uid
if redis.call('HEXISTS', KEYS[1], 'id') == 0 then
  return {'missing'}
end
local passed = {}
for i = 8, #KEYS, 2 do
  passed[KEYS[i]] = true
end
local boards = redis.call('HKEYS', KEYS[2])
for _, board in ipairs(boards) do
  if not passed[board] then
    return {'retry'}
  end
end
redis.call('HDEL', KEYS[1], unpack(a.clear))
if redis.call('HEXISTS', KEYS[1], a.other) == 1 then
  return {'still_off'}
end
local restored = 0
for i = 8, #KEYS, 2 do
  local entry = redis.call('HGET', KEYS[2], KEYS[i])
  if entry then
    local points, tie, expires = string.match(entry, '^(%S+) (%S+) (%S+)$')
    if expires == '-' or tonumber(expires) > tonumber(a.now) then
      redis.call('ZADD', KEYS[i], points, tie .. ':' .. uid)
      redis.call('HSET', KEYS[i + 1], a.ties[(i - 6) / 2], tie)
      if expires ~= '-' then
        redis.call('EXPIREAT', KEYS[i], expires)
        redis.call('EXPIREAT', KEYS[i + 1], expires)
      end
      restored = restored + 1
    end
  end
end
redis.call('DEL', KEYS[2])
local recorded = top_changed_record({KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7]}, a.limits, {})
local reply = {'back', restored}
for _, value in ipairs(recorded) do
  reply[#reply + 1] = value
end
return reply
