-- Record a processed submission's events and publish them live, atomically: each event is
-- appended to its capped Stream (XADD MAXLEN ~, which assigns its event_id) and published on
-- the Pub/Sub channel in the same step, so the Stream order and the live order are the same
-- and a socket can join replay and live delivery at any event id without a gap or duplicate.
-- The top 10 is read here, not by the caller: scripts run one at a time, so a later
-- top10_changed event never carries an older board than an earlier one. It is published only
-- when it differs from the last one published (ranks, names and scores), so a score change
-- inside the top 10 that reorders nobody is still announced, and a no-op is not.
-- KEYS[1] board events stream   KEYS[2] the user's events stream
-- KEYS[3] global board zset ("<tie>:<uid>" -> points)   KEYS[4] users:names hash (uid -> username)
-- KEYS[5] string: the last published top-N event JSON
-- ARGV[1] Pub/Sub channel (a channel, not a key)
-- ARGV[2] board stream MAXLEN   ARGV[3] user stream MAXLEN   ARGV[4] user stream TTL (s)
-- ARGV[5] the board topic ("board")   ARGV[6] the user's topic ("user:<uid>")
-- ARGV[7] (unused, kept so the argument positions stay)   ARGV[8] top N size (10)
-- ARGV[9] "1" when the top N may have changed (the scorer says so, or the user is in it)
-- ARGV[10] entered-top-N event JSON, or "" when the user did not enter it
-- ARGV[11] submission.processed event JSON
-- Event JSON is a complete object without "event_id"; the id is spliced in before publishing.
-- Pub/Sub payload: "<topic>\n<event id>\n<event JSON with event_id>".
-- Returns {processed id, entered id on the user stream, entered id on the board stream,
-- top10_changed id} ("" for an event not sent).

local function publish(stream, maxlen, topic, body)
  local id = redis.call('XADD', stream, 'MAXLEN', '~', maxlen, '*', 'body', body)
  local live = string.sub(body, 1, -2) .. ',"event_id":"' .. id .. '"}'
  redis.call('PUBLISH', ARGV[1], topic .. '\n' .. id .. '\n' .. live)
  return id
end

local function top_body()
  local rows = redis.call('ZREVRANGE', KEYS[3], 0, tonumber(ARGV[8]) - 1, 'WITHSCORES')
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

local user_maxlen, board_maxlen = ARGV[3], ARGV[2]
local processed = publish(KEYS[2], user_maxlen, ARGV[6], ARGV[11])
local entered_user, entered_board, top = '', '', ''
if ARGV[10] ~= '' then
  entered_user = publish(KEYS[2], user_maxlen, ARGV[6], ARGV[10])
  entered_board = publish(KEYS[1], board_maxlen, ARGV[5], ARGV[10])
end
if ARGV[9] == '1' then
  local body = top_body()
  if body ~= redis.call('GET', KEYS[5]) then
    redis.call('SET', KEYS[5], body)
    top = publish(KEYS[1], board_maxlen, ARGV[5], body)
  end
end
redis.call('EXPIRE', KEYS[2], ARGV[4])
return {processed, entered_user, entered_board, top}
