-- Cache-aside read of a quiz's results with a lease against stampedes (as memcache leases):
-- on a miss exactly one caller gets the lease and computes; the others wait for its value.
-- KEYS[1] quiz hash   KEYS[2] results cache hash   KEYS[3] results lease string
-- ARGV[1] lease token   ARGV[2] lease TTL (ms)
-- Returns nil when the quiz does not exist, else {version, max_score, question_count,
-- cached body or nil, 1 when this caller now holds the lease else 0}.
-- A cached entry counts only for the quiz's current version.
local q = redis.call('HMGET', KEYS[1], 'version', 'max_score', 'question_count')
if not q[1] then
  return nil
end
local c = redis.call('HMGET', KEYS[2], 'version', 'body')
if c[1] == q[1] then
  return {q[1], q[2], q[3], c[2], 0}
end
local leased = redis.call('SET', KEYS[3], ARGV[1], 'NX', 'PX', ARGV[2])
return {q[1], q[2], q[3], false, leased and 1 or 0}
