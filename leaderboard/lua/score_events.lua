-- Library sent ahead of the scripts that record a processed submission's events
-- (LuaScript(..., library=)): quizzes/lua/score_apply.lua, in the same step as the score, and
-- leaderboard/lua/events_publish.lua, for any other caller. Redis scripts cannot include one
-- another, so the events' rules and bodies live here once.
--
-- Each event is appended to its capped Stream (XADD MAXLEN ~, which assigns its event_id). The
-- caller then announces each one to its channel-layer group with the id of the entry before it
-- in the same Stream (`after`), so a socket that receives an event whose `after` is not the last
-- id it sent knows it missed one (two workers announcing out of order, or a subscription that
-- came late) and re-reads the Stream: no gap and no duplicate, whatever order the announcements
-- arrive in. The top N is read here, not by the caller: scripts run one at a time, so a later
-- top10_changed event never carries an older board than an earlier one. It is recorded only
-- when it differs from the last one recorded (ranks, names and scores), so a score change
-- inside the top N that reorders nobody is still announced, and a no-op is not.
--
-- score_events_record(ek, limits, e):
-- ek: {board events stream, the user's events stream, global board zset ("<tie>:<uid>" ->
--      points), users:names hash (uid -> username), string holding the last recorded top-N JSON}
-- limits: {board stream MAXLEN, user stream MAXLEN, user stream TTL (s), top N size}
-- e: {submission_id, user_id, username, score, total (the user's total_score), rank_before,
--     rank_after (1-based numbers, nil when unranked), top_changed (the scorer saw the top N's
--     members change)}
-- Event JSON is a complete object without "event_id"; the id is spliced in for the live copy.
-- Returns a flat list of {stream tag, event id, previous id in that stream, live JSON} per event
-- recorded, in order; tags: "processed", "entered.user", "entered.board", "top".
local function events_record(recorded, tag, stream, maxlen, body)
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

local function events_top_body(ek, top_n)
  local rows = redis.call('ZREVRANGE', ek[3], 0, top_n - 1, 'WITHSCORES')
  if #rows == 0 then
    return '{"type":"leaderboard.top10_changed","entries":[]}'
  end
  local ids = {}
  for i = 1, #rows, 2 do
    ids[#ids + 1] = string.match(rows[i], ':(.*)$')
  end
  local names = redis.call('HMGET', ek[4], unpack(ids))
  local entries = {}
  for i = 1, #ids do
    entries[i] = {rank = i, user_id = ids[i], username = names[i] or cjson.null, score = tonumber(rows[2 * i])}
  end
  return cjson.encode({type = 'leaderboard.top10_changed', entries = entries})
end

-- top_changed_record(ek, limits, recorded): record a top10_changed event when the top N as
-- shown differs from the last one recorded (a user left or came back: a ban, a hidden profile,
-- an erasure, a disqualification). Appends to `recorded` (same flat shape) and returns it.
local function top_changed_record(ek, limits, recorded)
  local body = events_top_body(ek, tonumber(limits[4]))
  if body ~= redis.call('GET', ek[5]) then
    redis.call('SET', ek[5], body)
    events_record(recorded, 'top', ek[1], limits[1], body)
  end
  return recorded
end

local function score_events_record(ek, limits, e)
  local recorded = {}
  local function record(tag, stream, maxlen, body)
    events_record(recorded, tag, stream, maxlen, body)
  end
  local function top_body(top_n)
    return events_top_body(ek, top_n)
  end
  -- Whole numbers as JSON without Lua's %.14g rounding.
  local function int(n)
    return string.format('%.0f', n)
  end

  local top_n = tonumber(limits[4])
  local in_top = e.rank_after ~= nil and e.rank_after <= top_n
  record('processed', ek[2], limits[2], '{"type": "submission.processed", "submission_id": '
    .. cjson.encode(e.submission_id) .. ', "score": ' .. int(e.score) .. ', "total_score": '
    .. int(e.total) .. ', "rank": ' .. (e.rank_after and int(e.rank_after) or 'null') .. '}')
  if in_top and not (e.rank_before ~= nil and e.rank_before <= top_n) then
    local entered = '{"type": "leaderboard.entered_top10", "user_id": ' .. cjson.encode(e.user_id)
      .. ', "username": ' .. cjson.encode(e.username) .. ', "rank": ' .. int(e.rank_after)
      .. ', "score": ' .. int(e.total) .. '}'
    record('entered.user', ek[2], limits[2], entered)
    record('entered.board', ek[1], limits[1], entered)
  end
  if e.top_changed or in_top then
    local body = top_body(top_n)
    if body ~= redis.call('GET', ek[5]) then
      redis.call('SET', ek[5], body)
      record('top', ek[1], limits[1], body)
    end
  end
  redis.call('EXPIRE', ek[2], limits[3])
  return recorded
end
