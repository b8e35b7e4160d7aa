-- Take a place for a new WebSocket in its user's count, unless the user already holds the cap.
-- KEYS[1] the user's socket leases (zset, leaderboard.keys.user_sockets): socket id -> lease end (epoch ms)
-- ARGV[1] socket id   ARGV[2] now (epoch ms)   ARGV[3] lease (ms)   ARGV[4] most sockets per user
-- Returns 1 when the lease is taken, 0 when ARGV[4] unexpired leases are already held (refused).
-- Leases past their end (a process that died, or stalled, stopped renewing them) are dropped
-- first, so a crash never locks a user out for longer than one lease. The key outlives every
-- lease by one more lease, which also covers a little clock skew between web processes.
local now, lease = tonumber(ARGV[2]), tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[4]) then
  return 0
end
redis.call('ZADD', KEYS[1], now + lease, ARGV[1])
redis.call('PEXPIRE', KEYS[1], 2 * lease)
return 1
