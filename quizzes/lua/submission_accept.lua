-- Accept a submission in one round trip: Idempotency-Key check, validation against the current
-- quiz, the submission record, and its score job: either the RQ job itself (written as rq's
-- Queue.enqueue_job does: job hash, RPUSH of its id on the queue list, SADD of the queue to
-- rq:queues), when the queue lives in this Redis; or an outbox entry (type
-- submission.accepted) that the relay moves to the queue's Redis.
-- KEYS[1] quiz hash   KEYS[2] submission hash   KEYS[3] quiz submissions zset
-- KEYS[4] quiz pending hash
-- "rq" mode:     KEYS[5] rq job hash   KEYS[6] rq queue list   KEYS[7] rq:queues set
--                KEYS[8] queued-submissions index zset (read by the reconciler)
--                KEYS[9] the user's submissions index zset
--                KEYS[10] (only when ARGV[14] is "1") outbox stream
-- "outbox" mode: KEYS[5] outbox stream   KEYS[6] queued-submissions index zset
--                KEYS[7] the user's submissions index zset
-- KEYS[next] (only with an Idempotency-Key) idempotency string
-- KEYS[last] (only when ARGV[10] is not "") the caller's rate-limit key for submissions
-- ARGV[1] submission id (also the job id)   ARGV[2] user id   ARGV[3] quiz id
-- ARGV[4] answers, comma-separated choice indexes   ARGV[5] created_at (ISO-8601)
-- ARGV[6] created_at (epoch ms)   ARGV[7] request digest   ARGV[8] idempotency TTL (s)
-- ARGV[9] "1": replays only (the caller is over its rate limit; anything new is refused)
-- ARGV[10] the limiter's algorithm ("sliding" | "fixed" | "": nothing to give back)
-- ARGV[11] what that limiter's admission took: the sliding log's entry, or the fixed window start
-- ARGV[12] mode: "rq" or "outbox"   ARGV[13] outbox MAXLEN (approximate)
-- ARGV[14] "1": the archive is on: a submission.queued entry records the accepted submission
-- "rq" mode:     ARGV[15..] job hash field, value pairs (from rq's Job.to_dict)
-- Anything but "queued" gives the rate-limit slot back in this same step: a replay, a
-- mismatch or a rejected submission is no new attempt (API.md).
-- Returns {"queued", id, version} | {"replay", first id} | {"mismatch"} | {"not_found"}
--       | {"invalid", "count", expected} | {"invalid", "choice", index, choices} | {"refused"}
local limiter = nil
if ARGV[10] ~= '' then
  limiter = KEYS[#KEYS]
end
local outbox = ARGV[12] == 'outbox'
local archive = ARGV[14] == '1'
local queued_index = outbox and 6 or 8
local user_index = queued_index + 1
local stream = outbox and KEYS[5] or (archive and KEYS[10] or nil)
local last_fixed = (not outbox and archive) and 10 or user_index
local idem = nil
if #KEYS - (limiter and 1 or 0) > last_fixed then
  idem = KEYS[last_fixed + 1]
end

-- The same rules as ratelimit/limiters.py's release (ZREM; fixed_window_release.lua).
local function give_back(...)
  if ARGV[10] == 'sliding' then
    redis.call('ZREM', limiter, ARGV[11])
  elseif ARGV[10] == 'fixed' then
    local stored = redis.call('HMGET', limiter, 'start', 'count')
    if tonumber(stored[1]) == tonumber(ARGV[11]) and (tonumber(stored[2]) or 0) > 0 then
      redis.call('HINCRBY', limiter, 'count', -1)
    end
  end
  return {...}
end

if idem then
  local seen = redis.call('GET', idem)
  if seen then
    local digest, first = string.match(seen, '^(%S+) (%S+)$')
    if digest == ARGV[7] then
      -- A write that changes nothing (the same TTL), so that a WAIT after this script covers
      -- the first submission too: the replication stream keeps order, and WAIT counts only
      -- this connection's writes.
      local ttl = redis.call('PTTL', idem)
      if ttl > 0 then
        redis.call('PEXPIRE', idem, ttl)
      end
      return give_back('replay', first)
    end
    return give_back('mismatch')
  end
end
if ARGV[9] == '1' then
  return {'refused'}
end

local quiz = redis.call('HMGET', KEYS[1], 'version', 'shape')
if not quiz[1] then
  return give_back('not_found')
end
local shape = {}
for n in string.gmatch(quiz[2], '%d+') do
  shape[#shape + 1] = tonumber(n)
end
local answers = {}
for n in string.gmatch(ARGV[4], '%d+') do
  answers[#answers + 1] = tonumber(n)
end
if #answers ~= #shape then
  return give_back('invalid', 'count', #shape)
end
for i, choice in ipairs(answers) do
  if choice >= shape[i] then
    return give_back('invalid', 'choice', i - 1, shape[i])
  end
end

local version = quiz[1]
redis.call('HSET', KEYS[2], 'id', ARGV[1], 'user_id', ARGV[2], 'quiz_id', ARGV[3],
  'quiz_version', version, 'answers', ARGV[4], 'status', 'queued',
  'created_at', ARGV[5], 'created_ms', ARGV[6])
redis.call('ZADD', KEYS[3], ARGV[6], ARGV[1])
redis.call('ZADD', KEYS[queued_index], ARGV[6], ARGV[1])
redis.call('ZADD', KEYS[user_index], ARGV[6], ARGV[1])
-- Pins this version's answer key until the submission is scored (see quiz_update.lua).
redis.call('HINCRBY', KEYS[4], version, 1)
if idem then
  redis.call('SET', idem, ARGV[7] .. ' ' .. ARGV[1], 'EX', ARGV[8])
end
if archive then
  -- What rebuild_redis needs to queue the submission again if Redis loses it before it is scored.
  local record = cjson.encode({id = ARGV[1], user_id = ARGV[2], quiz_id = ARGV[3], quiz_version = version,
    answers = ARGV[4], created_at = ARGV[5], created_ms = ARGV[6]})
  redis.call('XADD', stream, 'MAXLEN', '~', ARGV[13], '*', 'type', 'submission.queued', 'data', record)
end
if outbox then
  local data = cjson.encode({submission_id = ARGV[1], quiz_id = ARGV[3], user_id = ARGV[2]})
  redis.call('XADD', KEYS[5], 'MAXLEN', '~', ARGV[13], '*', 'type', 'submission.accepted', 'data', data)
else
  redis.call('HSET', KEYS[5], unpack(ARGV, 15))
  redis.call('RPUSH', KEYS[6], ARGV[1])
  redis.call('SADD', KEYS[7], KEYS[6])
end
return {'queued', ARGV[1], version}
