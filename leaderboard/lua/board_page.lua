-- Read one page of a board with usernames and the board size in a single round trip
-- (read only). With a third key, also return the newest event id of that Stream, read in the
-- same atomic step, so a snapshot and its event_id always agree.
-- KEYS[1] board zset ("<tie>:<uid>" -> points)   KEYS[2] users:names hash (uid -> username)
-- KEYS[3] (optional) events stream
-- ARGV[1] first 0-based position   ARGV[2] last 0-based position (inclusive)
-- Returns {total, {uid1, points1, username1, uid2, ...}, newest event id or "0-0"}
-- (a missing username is nil).
local rows = redis.call('ZREVRANGE', KEYS[1], ARGV[1], ARGV[2], 'WITHSCORES')
local flat = {}
if #rows > 0 then
  local ids = {}
  for i = 1, #rows, 2 do
    ids[#ids + 1] = string.match(rows[i], ':(.*)$')
  end
  local names = redis.call('HMGET', KEYS[2], unpack(ids))
  for i = 1, #ids do
    flat[#flat + 1] = ids[i]
    flat[#flat + 1] = rows[2 * i]
    flat[#flat + 1] = names[i]
  end
end
local newest = '0-0'
if KEYS[3] then
  local last = redis.call('XREVRANGE', KEYS[3], '+', '-', 'COUNT', 1)
  if #last > 0 then
    newest = last[1][1]
  end
end
return {redis.call('ZCARD', KEYS[1]), flat, newest}
