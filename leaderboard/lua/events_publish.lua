-- Record a processed submission's events, atomically: each event is appended to its capped
-- Stream (XADD MAXLEN ~, which assigns its event_id). The caller then announces each one to its
-- channel-layer group with the id of the entry before it in the same Stream (`after`), so a
-- socket that receives an event whose `after` is not the last id it sent knows it missed one
-- (two workers announcing out of order, or a subscription that came late) and re-reads the
-- Stream: no gap and no duplicate, whatever order the announcements arrive in.
-- The top 10 is read here, not by the caller: scripts run one at a time, so a later
-- top10_changed event never carries an older board than an earlier one. It is recorded only
-- when it differs from the last one recorded (ranks, names and scores), so a score change
-- inside the top 10 that reorders nobody is still announced, and a no-op is not.
-- KEYS[1] board events stream   KEYS[2] the user's events stream
-- KEYS[3] global board zset ("<tie>:<uid>" -> points)   KEYS[4] users:names hash (uid -> username)
-- KEYS[5] string: the last recorded top-N event JSON
-- ARGV[1] board stream MAXLEN   ARGV[2] user stream MAXLEN   ARGV[3] user stream TTL (s)
-- ARGV[4] top N size (10)
-- ARGV[5] "1" when the top N may have changed (the scorer says so, or the user is in it)
-- ARGV[6] entered-top-N event JSON, or "" when the user did not enter it
-- ARGV[7] submission.processed event JSON
-- Event JSON is a complete object without "event_id"; the id is spliced in for the live copy.
-- Returns a flat list of {stream tag, event id, previous id in that stream, live JSON} per event
-- recorded, in order; tags: "processed", "entered.user", "entered.board", "top".

local recorded = {}

local function record(tag, stream, maxlen, body)
  local newest = redis.call('XREVRANGE', stream, '+', '-', 'COUNT', 1)
  local after = '0-0'
  if newest[1] then
    after = newest[1][1]
  end
  local id = redis.call('XADD', stream, 'MAXLEN', '~', maxlen, '*', 'body', body)
  local live = string.sub(body, 1, -2) .. ',"event_id":"' .. id .. '"}'
  for _, value in ipairs({tag, id, after, live}) do
    recorded[#recorded + 1] = value
  end
end

local function top_body()
  local rows = redis.call('ZREVRANGE', KEYS[3], 0, tonumber(ARGV[4]) - 1, 'WITHSCORES')
  if #rows == 0 then
    return '{"type":"leaderboard.top10_changed","entries":[]}'
  end
  local ids = {}
  for i = 1, #rows, 2 do
    ids[#ids + 1] = string.match(rows[i], ':(.*)$')
  end
  local names = redis.call('HMGET', KEYS[4], unpack(ids))
  local entries = {}
  for i = 1, #ids do
    entries[i] = {rank = i, user_id = ids[i], username = names[i] or cjson.null, score = tonumber(rows[2 * i])}
  end
  return cjson.encode({type = 'leaderboard.top10_changed', entries = entries})
end

local board_maxlen, user_maxlen = ARGV[1], ARGV[2]
record('processed', KEYS[2], user_maxlen, ARGV[7])
if ARGV[6] ~= '' then
  record('entered.user', KEYS[2], user_maxlen, ARGV[6])
  record('entered.board', KEYS[1], board_maxlen, ARGV[6])
end
if ARGV[5] == '1' then
  local body = top_body()
  if body ~= redis.call('GET', KEYS[5]) then
    redis.call('SET', KEYS[5], body)
    record('top', KEYS[1], board_maxlen, body)
  end
end
redis.call('EXPIRE', KEYS[2], ARGV[3])
return recorded
