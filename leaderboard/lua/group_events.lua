-- Record a group board's events after its board changed (a score, a join, a leave, a ban):
-- a top10_changed when the top N as shown (ranks, names, scores) differs from the last one
-- recorded, and an entered_top10 for each user in the new top N who was not in the last one.
-- Scripts run one at a time and this one reads the board itself, so a later event never
-- carries an older board than an earlier one, whichever worker records it.
-- KEYS[1] the group's all-time board   KEYS[2] users:names hash   KEYS[3] the group's events stream
-- KEYS[4] the string holding the last recorded top-N JSON
-- ARGV[1] group id   ARGV[2] top N   ARGV[3] the stream's MAXLEN (approximate)
-- Returns a flat list of {event id, previous id in the stream, live JSON} per event recorded.
local rows = redis.call('ZREVRANGE', KEYS[1], 0, tonumber(ARGV[2]) - 1, 'WITHSCORES')
local ids, entries = {}, {}
for i = 1, #rows, 2 do
  ids[#ids + 1] = string.match(rows[i], ':(.*)$')
end
local names = #ids > 0 and redis.call('HMGET', KEYS[2], unpack(ids)) or {}
for i = 1, #ids do
  entries[i] = {rank = i, user_id = ids[i], username = names[i] or cjson.null, score = tonumber(rows[2 * i])}
end
local shown = cjson.encode(entries)
local last = redis.call('GET', KEYS[4])
if last == shown then
  return {}
end
local before = {}
for _, entry in ipairs(last and cjson.decode(last) or {}) do
  before[entry.user_id] = true
end
local recorded = {}
local function record(body)
  local newest = redis.call('XREVRANGE', KEYS[3], '+', '-', 'COUNT', 1)
  local after = newest[1] and newest[1][1] or '0-0'
  local id = redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[3], '*', 'body', body)
  for _, value in ipairs({id, after, string.sub(body, 1, -2) .. ',"event_id":"' .. id .. '"}'}) do
    recorded[#recorded + 1] = value
  end
end
for _, entry in ipairs(entries) do
  if not before[entry.user_id] then
    record(cjson.encode({type = 'leaderboard.entered_top10', group_id = ARGV[1], user_id = entry.user_id,
      username = entry.username, rank = entry.rank, score = entry.score}))
  end
end
local body = cjson.encode({type = 'leaderboard.top10_changed', group_id = ARGV[1], entries = entries})
if #entries == 0 then
  body = '{"type":"leaderboard.top10_changed","group_id":' .. cjson.encode(ARGV[1]) .. ',"entries":[]}'
end
record(body)
redis.call('SET', KEYS[4], shown)
return recorded
