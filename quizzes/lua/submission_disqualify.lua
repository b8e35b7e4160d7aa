-- Disqualify a submission, atomically, with everything its points moved:
-- queued: it becomes `disqualified` and leaves the queue index (its answer-key pin released), so
--   the score script, which scores only `queued` ones, never scores it, whichever runs first;
-- processed: the owner's best on the quiz is recomputed from their other processed submissions
--   of that quiz, and total_score, quizzes_solved and the global board move by the change, keeping
--   the user's tie. The day and week boards of its processing lose the gain it added there (field
--   `gain`); what the remaining best holder would have gained without it (gain + change, when
--   positive) goes to that holder's day and week boards, with a new tie when the user is not on
--   them (a hidden or banned user's parked entries move instead). A submission scored before
--   `gain` was stored moves its own period boards by the change. Board events in the same step.
-- top_changed_record comes from leaderboard/lua/score_events.lua, loaded before this script.
-- KEYS[1] submission hash   KEYS[2] the user's best-per-quiz hash   KEYS[3] profile hash
-- KEYS[4] global board   KEYS[5] day board of its processing   KEYS[6] week board of its processing
-- KEYS[7..9] where the user's tie on KEYS[4..6] is kept   KEYS[10] queued-submissions index
-- KEYS[11] quiz hash   KEYS[12] quiz versions hash   KEYS[13] quiz pending hash
-- KEYS[14] the user's submissions index   KEYS[15] the user's parked entries
-- KEYS[16..20] the events' keys (leaderboard.events.score_events_keys)
-- KEYS[21 .. 20+n] the hashes of the user's other submissions of this quiz (n = ARGV[6]), oldest first
-- KEYS[21+n] the boards' change counter; KEYS[22+n .. 25+n] (only when ARGV[13] > 0) the day and
--   week boards of the processing of the caller's best holder, then where the user's tie on each is kept
-- KEYS[last] (only with the archive on) the outbox stream, followed by:
-- KEYS[#KEYS - 1] KEYS[#KEYS] the quiz's board and its members hash (the per-quiz board, always last)
-- ARGV[1] submission id   ARGV[2] reason   ARGV[3] disqualified_at (ISO-8601)
-- ARGV[4] JSON [tie field of KEYS[7], KEYS[8], KEYS[9]]   ARGV[5] the size of KEYS[14] the caller read
-- ARGV[6] n   ARGV[7] the archived best of the others ("" = none; archive on)   ARGV[8] outbox cap
-- ARGV[9..12] the event limits   ARGV[13] the caller's best holder: its position among the others
-- (1..n; 0: none in Redis)   ARGV[14] ARGV[15] EXPIREAT of its day and week boards
-- ARGV[16] JSON [tie field on its day board, on its week board]   ARGV[17] encoding TIE_MAX
-- Returns {"missing"} | {"retry"} (the user's submissions changed since the caller read them) |
-- {"already"} | {"disqualified", status before, best before, best after, total after, <events>}.
local s = redis.call('HMGET', KEYS[1], 'user_id', 'quiz_id', 'status', 'quiz_version', 'score')
if not s[1] then
  return {'missing'}
end
if s[3] == 'disqualified' then
  return {'already'}
end
if redis.call('ZCARD', KEYS[14]) ~= tonumber(ARGV[5]) then
  return {'retry'}
end
local uid, quiz_id, before = s[1], s[2], s[3]
redis.call('HSET', KEYS[1], 'status', 'disqualified', 'reason', ARGV[2], 'disqualified_at', ARGV[3])
if before == 'queued' then
  redis.call('ZREM', KEYS[10], ARGV[1])
  local version = s[4]
  if redis.call('HINCRBY', KEYS[13], version, -1) <= 0 then
    redis.call('HDEL', KEYS[13], version)
    if redis.call('HGET', KEYS[11], 'version') ~= version then
      redis.call('HDEL', KEYS[12], version)
    end
  end
end
if before ~= 'processed' then
  return {'disqualified', before, '', '', ''}
end

local n = tonumber(ARGV[6])
local archived_best = tonumber(ARGV[7])  -- nil when there is none
local best_after, holder = nil, 0
for i = 21, 20 + n do
  local o = redis.call('HMGET', KEYS[i], 'status', 'score', 'quiz_id', 'user_id')
  if o[1] == 'processed' and o[3] == quiz_id and o[4] == uid and (not best_after or tonumber(o[2]) > best_after) then
    best_after, holder = tonumber(o[2]), i - 20
  end
end
if holder ~= tonumber(ARGV[13]) then
  return {'retry'}  -- another submission holds the best now: the caller passes its boards
end
if archived_best and (not best_after or archived_best > best_after) then
  best_after, holder = archived_best, 0
end
local best_before = tonumber(redis.call('HGET', KEYS[2], quiz_id) or '0')
local delta = (best_after or 0) - best_before
if best_after then
  redis.call('HSET', KEYS[2], quiz_id, best_after)
else
  redis.call('HDEL', KEYS[2], quiz_id)
  redis.call('HINCRBY', KEYS[3], 'quizzes_solved', -1)
end
local total = redis.call('HINCRBY', KEYS[3], 'total_score', delta)

local ties = cjson.decode(ARGV[4])
local flags = redis.call('HMGET', KEYS[3], 'banned', 'hidden')
local off = flags[1] or flags[2]
local function move(board, ref, field, points_of)
  local tie = redis.call('HGET', ref, field)
  local member = tie and (tie .. ':' .. uid)
  local points = member and redis.call('ZSCORE', board, member)
  if points then
    redis.call('ZADD', board, 'XX', string.format('%.0f', points_of(tonumber(points))), member)
    return
  end
  local parked = redis.call('HGET', KEYS[15], board)  -- off the boards: the parked entry moves
  if parked then
    local p, t, e = string.match(parked, '^(%S+) (%S+) (%S+)$')
    redis.call('HSET', KEYS[15], board, string.format('%.0f', points_of(tonumber(p))) .. ' ' .. t .. ' ' .. e)
  end
end
-- The per-quiz board (issue 24) follows the recomputed best, keeping the user's tie; with no
-- best left the user leaves it (or their parked entry goes).
local qboard, qties = KEYS[#KEYS - 1], KEYS[#KEYS]
if best_after then
  move(qboard, qties, uid, function(_) return best_after end)
else
  local qtie = redis.call('HGET', qties, uid)
  if qtie then
    redis.call('ZREM', qboard, qtie .. ':' .. uid)
    redis.call('HDEL', qties, uid)
  end
  redis.call('HDEL', KEYS[15], qboard)
end
local gain = tonumber(redis.call('HGET', KEYS[1], 'gain') or '')
if delta ~= 0 then
  move(KEYS[4], KEYS[7], ties[1], function(_) return total end)
end
local own = gain and -gain or delta
if own ~= 0 then
  for i = 5, 6 do
    move(KEYS[i], KEYS[i + 3], ties[i - 3], function(points) return math.max(points + own, 0) end)
  end
end
local surplus = gain and (gain + delta) or 0
local first_holder_key = 22 + n
if surplus > 0 and holder > 0 then
  -- The holder now carries that gain: disqualifying it later takes it back from the same boards.
  redis.call('HINCRBY', KEYS[20 + holder], 'gain', surplus)
  local holder_ties = cjson.decode(ARGV[16])
  local tie = nil  -- one new tie for both boards, as scoring takes one per change
  for b = 0, 1 do
    local board, ref, field = KEYS[first_holder_key + 2 * b], KEYS[first_holder_key + 2 * b + 1], holder_ties[b + 1]
    local had = redis.call('HGET', ref, field)
    if (had and redis.call('ZSCORE', board, had .. ':' .. uid)) or redis.call('HEXISTS', KEYS[15], board) == 1 then
      move(board, ref, field, function(points) return points + surplus end)
    else
      tie = tie or tie_of(redis.call('INCR', KEYS[21 + n]), tonumber(ARGV[17]))
      if off then  -- banned or hidden: the entry waits in the parked entries
        redis.call('HSET', KEYS[15], board, surplus .. ' ' .. tie .. ' ' .. ARGV[14 + b])
      else
        redis.call('ZADD', board, surplus, tie .. ':' .. uid)
        redis.call('HSET', ref, field, tie)
        redis.call('EXPIREAT', board, ARGV[14 + b])
        redis.call('EXPIREAT', ref, ARGV[14 + b])
      end
    end
  end
end
local outbox_at = tonumber(ARGV[13]) > 0 and 26 + n or 22 + n
local outbox = #KEYS > outbox_at + 1 and KEYS[outbox_at] or nil  -- the quiz board's two keys follow it
if outbox then
  local solved = redis.call('HGET', KEYS[3], 'quizzes_solved')
  redis.call('XADD', outbox, 'MAXLEN', '~', ARGV[8], '*', 'type', 'submission.disqualified', 'data',
    cjson.encode({id = ARGV[1], user_id = uid, quiz_id = quiz_id, best = best_after or cjson.null,
                  total_score = total, quizzes_solved = tonumber(solved),
                  holder_id = (surplus > 0 and holder > 0) and redis.call('HGET', KEYS[20 + holder], 'id') or cjson.null,
                  surplus = (surplus > 0 and holder > 0) and surplus or 0}))
end
local recorded = {}
if delta ~= 0 then
  top_changed_record({KEYS[16], KEYS[17], KEYS[18], KEYS[19], KEYS[20]}, {ARGV[9], ARGV[10], ARGV[11], ARGV[12]}, recorded)
end
local reply = {'disqualified', before, best_before, best_after or '', total}
for _, value in ipairs(recorded) do
  reply[#reply + 1] = value
end
return reply
