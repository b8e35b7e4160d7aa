-- Re-enqueue a submission still queued whose score job RQ no longer attends to: not in the
-- queue or its intermediate list, and not in the scheduled or started registry either, or
-- there only as an entry RQ should have acted on long ago (a retry overdue by more than the
-- grace, so no scheduler is enqueueing it; a started entry whose lease ran out more than the
-- grace ago, so no maintenance pass has retried it). A job in the failed registry while its
-- submission is still queued failed without its failure being recorded (RQ fails a job
-- stranded in the intermediate list with no retries left without running its callback, and a
-- job that ran out of retries on Redis errors leaves its submission queued on purpose), so it
-- is taken out of there and enqueued too. Scoring is exactly-once (the applied marker in
-- score_apply.lua), so a rescue that races a slow worker or scheduler only costs a no-op run.
-- KEYS[1] submission hash   KEYS[2] queued-submissions index zset   KEYS[3] rq job hash
-- KEYS[4] rq queue list   KEYS[5] its intermediate list   KEYS[6] started registry zset
-- KEYS[7] scheduled registry zset   KEYS[8] failed registry zset   KEYS[9] rq:queues set
-- KEYS[10] rescued counter
-- ARGV[1] submission id (also the job id)   ARGV[2] enqueued_at (RQ's format)
-- ARGV[3] now (epoch s)   ARGV[4] grace (s)
-- ARGV[5..] job hash field, value pairs, written only when the job hash itself is gone
-- Returns "settled" (no longer queued: dropped from the index), "held" (RQ still has the job
-- and is expected to act on it), or "rescued".
local id = ARGV[1]
if redis.call('HGET', KEYS[1], 'status') ~= 'queued' then
  redis.call('ZREM', KEYS[2], id)
  return 'settled'
end
if redis.call('LPOS', KEYS[4], id) or redis.call('LPOS', KEYS[5], id) then
  return 'held'
end
-- Registry scores are epoch seconds (a retry's due time, a lease's end); "inf" never ends.
local stale_before = tonumber(ARGV[3]) - tonumber(ARGV[4])
local function attended(score)
  return score == 'inf' or score == '+inf' or tonumber(score) > stale_before
end
local due = redis.call('ZSCORE', KEYS[7], id)
if due and attended(due) then
  return 'held'
end
-- Started entries are "<job id>:<execution id>".
local prefix = id .. ':'
local stale = {}
local started = redis.call('ZRANGE', KEYS[6], 0, -1, 'WITHSCORES')
for i = 1, #started, 2 do
  local entry = started[i]
  if entry == id or string.sub(entry, 1, #prefix) == prefix then
    if attended(started[i + 1]) then
      return 'held'
    end
    stale[#stale + 1] = entry
  end
end
if #stale > 0 then
  redis.call('ZREM', KEYS[6], unpack(stale))
end
if due then
  redis.call('ZREM', KEYS[7], id)
end
redis.call('ZREM', KEYS[8], id)
if redis.call('EXISTS', KEYS[3]) == 0 and #ARGV > 4 then
  redis.call('HSET', KEYS[3], unpack(ARGV, 5))
end
redis.call('HSET', KEYS[3], 'status', 'queued', 'enqueued_at', ARGV[2])
redis.call('LPUSH', KEYS[4], id)  -- the front (RQ's at_front): it has waited longest
redis.call('SADD', KEYS[9], KEYS[4])
redis.call('INCR', KEYS[10])
return 'rescued'
