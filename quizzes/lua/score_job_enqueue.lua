-- Enqueue a relayed score job on the queue's Redis, as rq's Queue.enqueue_job does (job hash,
-- RPUSH of its id on the queue list, SADD of the queue to rq:queues), once: a job hash that
-- exists already means an earlier relay of the same outbox entry got here.
-- KEYS[1] rq job hash   KEYS[2] rq queue list   KEYS[3] rq:queues set
-- ARGV[1] job id (the submission id)   ARGV[2..] job hash field, value pairs (rq's Job.to_dict)
-- Returns 1 when enqueued, 0 when the job already existed.
if redis.call('EXISTS', KEYS[1]) == 1 then
  return 0
end
redis.call('HSET', KEYS[1], unpack(ARGV, 2))
redis.call('RPUSH', KEYS[2], ARGV[1])
redis.call('SADD', KEYS[3], KEYS[2])
return 1
