-- Re-enqueue a submission still queued whose score job is nowhere RQ would run it from: not in
-- the queue, its intermediate list, or the started or scheduled registry. A job in the failed
-- registry while its submission is still queued failed without its failure being recorded (RQ
-- fails a job stranded in the intermediate list with no retries left without running its
-- callback), so it is taken out of there and enqueued too. Scoring is exactly-once (the applied
-- marker in score_apply.lua), so a rescue that races a slow worker only costs a no-op run.
-- KEYS[1] submission hash   KEYS[2] queued-submissions index zset   KEYS[3] rq job hash
-- KEYS[4] rq queue list   KEYS[5] its intermediate list   KEYS[6] started registry zset
-- KEYS[7] scheduled registry zset   KEYS[8] failed registry zset   KEYS[9] rq:queues set
-- KEYS[10] rescued counter
-- ARGV[1] submission id (also the job id)   ARGV[2] enqueued_at (RQ's format)
-- ARGV[3..] job hash field, value pairs, written only when the job hash itself is gone
-- Returns "settled" (no longer queued: dropped from the index), "held" (RQ still has the job),
-- or "rescued".
local id = ARGV[1]
if redis.call('HGET', KEYS[1], 'status') ~= 'queued' then
  redis.call('ZREM', KEYS[2], id)
  return 'settled'
end
if redis.call('LPOS', KEYS[4], id) or redis.call('LPOS', KEYS[5], id)
    or redis.call('ZSCORE', KEYS[7], id) then
  return 'held'
end
-- Started entries are "<job id>:<execution id>".
local prefix = id .. ':'
for _, entry in ipairs(redis.call('ZRANGE', KEYS[6], 0, -1)) do
  if entry == id or string.sub(entry, 1, #prefix) == prefix then
    return 'held'
  end
end
redis.call('ZREM', KEYS[8], id)
if redis.call('EXISTS', KEYS[3]) == 0 and #ARGV > 2 then
  redis.call('HSET', KEYS[3], unpack(ARGV, 3))
end
redis.call('HSET', KEYS[3], 'status', 'queued', 'enqueued_at', ARGV[2])
redis.call('LPUSH', KEYS[4], id)  -- the front (RQ's at_front): it has waited longest
redis.call('SADD', KEYS[9], KEYS[4])
redis.call('INCR', KEYS[10])
return 'rescued'
