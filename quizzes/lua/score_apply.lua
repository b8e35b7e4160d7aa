-- Grade a submission against the answer key of the quiz version recorded with it, and apply
-- the result exactly once: best-attempt rule, profile counters, the global, daily and weekly
-- leaderboards, and the submission's status, all in one atomic step (one round trip per job,
-- and the answer key read is the one graded with: no window for it to change in between).
-- KEYS[1] submission hash   KEYS[2] user's best-per-quiz hash   KEYS[3] user profile hash
-- KEYS[4] global board zset   KEYS[5] current UTC day board   KEYS[6] current ISO-week board
-- KEYS[7] quiz hash   KEYS[8] quiz versions hash (version -> {answers, points} JSON)
-- KEYS[9] quiz pending hash
-- KEYS[10] KEYS[11] KEYS[12] where the user's tie on KEYS[4], KEYS[5], KEYS[6] is kept
-- (leaderboard.keys.board_tie_ref: the profile for the global board, members hashes else)
-- KEYS[13] the boards' change counter (leaderboard.keys.tie_sequence)
-- KEYS[14] queued-submissions index zset (read by the reconciler)
-- ARGV[1] user id   ARGV[2] quiz id   ARGV[3] now (epoch s)   ARGV[4] processed_at (ISO-8601)
-- ARGV[5] encoding TIE_MAX   ARGV[6] (unused)
-- ARGV[7] day board EXPIREAT   ARGV[8] week board EXPIREAT
-- ARGV[9] ARGV[10] ARGV[11] the tie's field in KEYS[10], KEYS[11], KEYS[12]   ARGV[12] submission id
-- KEYS[15] the user's parked board entries (accounts/keys.py user_parked): where a hidden
-- user's points go instead of the boards, as "<points> <tie> <EXPIREAT or ->" per board key
-- KEYS[16..20], ARGV[13..16] the events' keys and limits (leaderboard.events.score_events_keys
-- and score_events_limits): the run that applies the score records its events in the same step,
-- with score_events_record from leaderboard/lua/score_events.lua (loaded before this script)
-- ARGV[17] the failure reason for a banned user's submission
-- KEYS[<last 3n + 1>], ARGV[<last n + 1>]: the user's groups and their boards (issue 24, below)
-- KEYS[21] the quiz's board zset   KEYS[22] its members hash (uid -> tie): the per-quiz board
-- KEYS[23], ARGV[18] (only with the archive on) outbox stream and its cap: a `submission.scored`
-- entry carries the processed record, the gain, its tie seq and the user's counters after it
-- Returns {"groups_changed", group ids...} (before any write) when the user's groups differ from those passed;
-- {"applied", score, max_score, total_score, rank_before, rank_after, top10_changed (0/1),
-- username, <the recorded events, flat: tag, event id, previous id, live JSON per event>,
-- and with groups passed (issue 24) the ids of those whose all-time top 10 holds the user, space-separated}
-- (ranks 1-based, "" when unranked); {"duplicate"} when it was scored before;
-- {"failed"} when it was marked failed (or is now: its user is banned, so it is never scored); {"missing"} (no submission or profile); {"mismatch"}
-- (another user's or another quiz's submission); {"no_key", version} when that version's
-- answer key is gone; {"shape", version} when the answers do not fit that answer key.
local s = redis.call('HMGET', KEYS[1], 'user_id', 'quiz_id', 'quiz_version', 'status', 'answers')
local p = redis.call('HMGET', KEYS[3], 'username', 'banned', 'hidden', 'erasing')
local username = p[1]
if not s[1] or not username then
  return {'missing'}
end
if s[1] ~= ARGV[1] or s[2] ~= ARGV[2] then
  return {'mismatch'}
end
-- The applied marker is the status itself: it leaves "queued" in the same step as the score.
if s[4] == 'processed' then
  return {'duplicate'}
elseif s[4] ~= 'queued' then
  return {'failed'}
end
-- Group boards (issue 24), part 1 of 2: the last ARGV is n, how many groups the user is in, the
-- n ARGV before it their ids; the last 3n + 1 KEYS are the user's groups set, then each group's
-- all-time, day and week board. A join or leave since the caller read the set answers
-- {"groups_changed", <the current group ids>} before any write, and the caller runs it again with
-- those: no group board misses a gain (the caller may pass a remembered list; this checks it).
local group_n = tonumber(ARGV[#ARGV])
local group_key0 = #KEYS - 3 * group_n
local group_same = redis.call('SCARD', KEYS[group_key0]) == group_n
for i = #ARGV - group_n, #ARGV - 1 do
  group_same = group_same and redis.call('SISMEMBER', KEYS[group_key0], ARGV[i]) == 1
end
if not group_same then
  return {'groups_changed', unpack(redis.call('SMEMBERS', KEYS[group_key0]))}
end

local version = s[3]
-- Release this version's answer key pin; drop the key once unused and no longer current.
local function release_pin()
  if redis.call('HINCRBY', KEYS[9], version, -1) <= 0 then
    redis.call('HDEL', KEYS[9], version)
    if redis.call('HGET', KEYS[7], 'version') ~= version then
      redis.call('HDEL', KEYS[8], version)
    end
  end
end
-- A banned user's submission is never scored (nor one of a user being erased): it fails in the
-- step that would have scored it, so a ban racing this job leaves nothing on any board
-- whichever runs first.
if p[2] or p[4] then
  redis.call('HSET', KEYS[1], 'status', 'failed', 'reason', ARGV[17], 'processed_at', ARGV[4])
  redis.call('ZREM', KEYS[14], ARGV[12])
  release_pin()
  return {'failed'}
end
local stored = redis.call('HGET', KEYS[8], version)
if not stored then
  return {'no_key', version}
end
local key = cjson.decode(stored)
local score, max_score, correct, mask, i = 0, 0, 0, {}, 0
for choice in string.gmatch(s[5], '%d+') do
  i = i + 1
  local right = tonumber(choice) == key.answers[i]
  mask[i] = right and '1' or '0'
  if right then
    score, correct = score + key.points[i], correct + 1
  end
end
if i ~= #key.answers then
  return {'shape', version}
end
for _, points in ipairs(key.points) do
  max_score = max_score + points
end

local uid = ARGV[1]
local best = redis.call('HGET', KEYS[2], ARGV[2])
local gain = 0
if not best then
  redis.call('HINCRBY', KEYS[3], 'quizzes_solved', 1)
  gain = score
elseif score > tonumber(best) then
  gain = score - tonumber(best)
end
if not best or gain > 0 then
  redis.call('HSET', KEYS[2], ARGV[2], score)
end
local total = redis.call('HINCRBY', KEYS[3], 'total_score', gain)

-- A board member is "<tie>:<uid>" (leaderboard/encoding.py): the tie is this change's number
-- from one counter, so equal points rank in the order Redis applied them, at any rate. The
-- score is the points themselves: exact up to 2^53 - 1. '%.0f' avoids Lua's %.14g.
-- tie_of(seq, tie_max) comes from leaderboard/lua/tie.lua, loaded before this script.
local refs = {[KEYS[4]] = {KEYS[10], ARGV[9]}, [KEYS[5]] = {KEYS[11], ARGV[10]}, [KEYS[6]] = {KEYS[12], ARGV[11]}}
local function uid_of(member)
  return string.match(member, ':(.*)$')
end
local function member_on(board)
  local tie = redis.call('HGET', refs[board][1], refs[board][2])
  return tie and (tie .. ':' .. uid)
end
local function set_points(board, tie, points_of)
  local old_member = member_on(board)
  local old = 0
  if old_member then
    old = tonumber(redis.call('ZSCORE', board, old_member) or '0')
  end
  -- Add before removing: a board never empties on the way, so it keeps its TTL.
  redis.call('ZADD', board, string.format('%.0f', points_of(old)), tie .. ':' .. uid)
  if old_member and old_member ~= tie .. ':' .. uid then
    redis.call('ZREM', board, old_member)
  end
  redis.call('HSET', refs[board][1], refs[board][2], tie)
end

-- A hidden user's points move in their parked entries, never onto a board (accounts/records.py).
local expiry = {[KEYS[4]] = '-', [KEYS[5]] = ARGV[7], [KEYS[6]] = ARGV[8]}
local function park_points(board, tie, points_of)
  local entry = redis.call('HGET', KEYS[15], board)
  local old = entry and tonumber(string.match(entry, '^(%S+)')) or 0
  redis.call('HSET', KEYS[15], board, string.format('%.0f', points_of(old)) .. ' ' .. tie .. ' ' .. expiry[board])
end
if p[3] then
  set_points = function(board, tie, points_of)
    park_points(board, tie, points_of)
  end
end
-- Group boards (issue 24), part 2 of 2: whatever a period board gets, the user's group boards of
-- that period get too, with the same member "<tie>:<uid>" and points; a hidden user's parked
-- entry too (privacy does not hide a member from their groups). `group_top` collects the groups
-- whose all-time top 10 now holds the user: only those can have a changed top 10 (the user only
-- rose), so only those get their events recorded (leaderboard/group_live.py).
local group_top = {}
if group_n > 0 then
  local slot = {[KEYS[4]] = 1, [KEYS[5]] = 2, [KEYS[6]] = 3}
  local function entry_on(board)
    if p[3] then
      local entry = redis.call('HGET', KEYS[15], board)
      local points, tie = string.match(entry or '', '^(%S+) (%S+)')
      return tie and (tie .. ':' .. uid), points
    end
    local member = member_on(board)
    return member, member and redis.call('ZSCORE', board, member)
  end
  local board_set = set_points
  set_points = function(board, tie, points_of)
    if not slot[board] then  -- a board groups do not mirror (the per-quiz board)
      return board_set(board, tie, points_of)
    end
    local old_member = entry_on(board)
    board_set(board, tie, points_of)
    local member, points = entry_on(board)
    for i = 1, group_n do
      local group_board = KEYS[group_key0 + 3 * (i - 1) + slot[board]]
      if old_member and old_member ~= member then
        redis.call('ZREM', group_board, old_member)
      end
      redis.call('ZADD', group_board, points, member)
      if slot[board] == 1 and redis.call('ZREVRANK', group_board, member) < 10 then
        group_top[#group_top + 1] = ARGV[#ARGV - group_n - 1 + i]
      end
      if expiry[board] ~= '-' then
        redis.call('EXPIREAT', group_board, expiry[board])
      end
    end
  end
end

local before_member = not p[3] and member_on(KEYS[4])
local rank_before = before_member and redis.call('ZREVRANK', KEYS[4], before_member) or nil
local rank_after, changed, seq = rank_before, false, 0
if gain > 0 and p[3] then
  seq = redis.call('INCR', KEYS[13])
  local tie = tie_of(seq, tonumber(ARGV[5]))
  set_points(KEYS[4], tie, function(_) return total end)
  set_points(KEYS[5], tie, function(points) return points + gain end)
  set_points(KEYS[6], tie, function(points) return points + gain end)
elseif gain > 0 then  -- no gain, no board changes: rank and top 10 stay as they are
  local top_before = redis.call('ZREVRANGE', KEYS[4], 0, 9)
  seq = redis.call('INCR', KEYS[13])
  local tie = tie_of(seq, tonumber(ARGV[5]))
  -- The global board holds total_score (a user dropped as inactive comes back whole).
  set_points(KEYS[4], tie, function(_) return total end)
  set_points(KEYS[5], tie, function(points) return points + gain end)
  set_points(KEYS[6], tie, function(points) return points + gain end)
  for _, key in ipairs({KEYS[5], KEYS[11]}) do
    redis.call('EXPIREAT', key, ARGV[7])
  end
  for _, key in ipairs({KEYS[6], KEYS[12]}) do
    redis.call('EXPIREAT', key, ARGV[8])
  end
  rank_after = redis.call('ZREVRANK', KEYS[4], tie .. ':' .. uid)
  local top_after = redis.call('ZREVRANGE', KEYS[4], 0, 9)
  changed = #top_before ~= #top_after
  for i = 1, #top_after do
    changed = changed or uid_of(top_before[i] or '') ~= uid_of(top_after[i])
  end
end

-- The per-quiz board (issue 24): the user's best on this quiz, moved only when that best
-- changes (a first attempt, or an improvement), with a tie of its own taken then; a hidden
-- user's entry is parked like the others; a deleted quiz (no KEYS[7]) gets no board back.
if (not best or gain > 0) and redis.call('EXISTS', KEYS[7]) == 1 then
  if seq == 0 then
    seq = redis.call('INCR', KEYS[13])
  end
  refs[KEYS[21]], expiry[KEYS[21]] = {KEYS[22], uid}, '-'
  set_points(KEYS[21], tie_of(seq, tonumber(ARGV[5])), function(_) return score end)
end

redis.call('HSET', KEYS[1], 'status', 'processed', 'score', score, 'max_score', max_score,
  'correct', correct, 'correct_mask', table.concat(mask, ','), 'processed_at', ARGV[4], 'gain', gain)
redis.call('ZREM', KEYS[14], ARGV[12])

release_pin()
if group_key0 > 23 then  -- KEYS[23] is the outbox when one comes before the group keys
  local c = redis.call('HMGET', KEYS[1], 'created_at', 'created_ms')
  local solved = redis.call('HGET', KEYS[3], 'quizzes_solved')
  local data = cjson.encode({id = redis.call('HGET', KEYS[1], 'id'), user_id = uid, quiz_id = ARGV[2],
    quiz_version = tonumber(version), answers = s[5], score = score, max_score = max_score,
    correct = correct, correct_mask = table.concat(mask, ','), created_at = c[1],
    created_ms = c[2], processed_at = ARGV[4], scored_at = tonumber(ARGV[3]), gain = gain, seq = string.format('%.0f', seq),
    best = math.max(score, tonumber(best or '0')), total_score = total,
    quizzes_solved = tonumber(solved)})
  redis.call('XADD', KEYS[23], 'MAXLEN', '~', ARGV[18], '*', 'type', 'submission.scored', 'data', data)
end
rank_before = rank_before and rank_before + 1 or nil
rank_after = rank_after and rank_after + 1 or nil
local reply = {'applied', score, max_score, total, rank_before or '', rank_after or '', changed and 1 or 0, username}
local events = score_events_record(
  {KEYS[16], KEYS[17], KEYS[18], KEYS[19], KEYS[20]}, {ARGV[13], ARGV[14], ARGV[15], ARGV[16]},
  {submission_id = ARGV[12], user_id = uid, username = username, score = score, total = total,
   rank_before = rank_before, rank_after = rank_after, top_changed = changed})
for _, value in ipairs(events) do
  reply[#reply + 1] = value
end
if group_n > 0 then  -- issue 24: one last element, the groups whose top 10 holds the user, space-separated
  reply[#reply + 1] = table.concat(group_top, ' ')
end
return reply
