-- Sliding window log: at most ARGV[1] admissions in any ARGV[2] ms, counted from Redis TIME.
-- An entry admitted at t stops counting at exactly t + window. A rejected attempt adds no
-- entry and leaves the TTL alone, so it neither uses quota nor extends the block.
-- KEYS[1] limiter zset: attempt id -> admission time (epoch ms)
-- ARGV[1] limit  ARGV[2] window (ms)  ARGV[3] now (epoch ms; "" = Redis TIME)
-- ARGV[4] attempt id (unique per call; the entry a caller may later remove)
-- Returns {allowed (1|0), entries after this call, reset_ms (until the oldest entry frees
--          a slot), retry_after_ms (0 when allowed)}.
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
if not now then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local count = redis.call('ZCARD', KEYS[1])
local allowed = 0
if count < limit then
  redis.call('ZADD', KEYS[1], now, ARGV[4])
  -- The newest entry is the last to expire: the key lives exactly as long as it matters.
  redis.call('PEXPIRE', KEYS[1], window)
  count = count + 1
  allowed = 1
end

local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
local reset = tonumber(oldest[2]) + window - now
if allowed == 1 then
  return {1, count, reset, 0}
end
return {0, count, reset, reset}
