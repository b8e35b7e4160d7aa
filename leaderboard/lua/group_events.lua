-- Record the board events of a user's groups after their boards changed (a score, a join, a
-- leave, a ban), in one step for all of them: per group, a top10_changed when the top N as
-- shown (ranks, names, scores) differs from the last one recorded, and an entered_top10 for each
-- user in the new top N who was not in the last one. Only the user's own entry moved, so a group
-- where the user is neither in the top N now nor in the last one recorded cannot have changed:
-- it is skipped after one ZREVRANGE and one GET. Scripts run one at a time and this one reads
-- the boards itself, so a later event never carries an older board than an earlier one.
-- KEYS[1] users:names hash; then per group: its all-time board, its events stream, the string
--   holding its last recorded top-N JSON
-- ARGV[1] the user id whose entry moved   ARGV[2] top N   ARGV[3] each stream's MAXLEN (approximate)
-- ARGV[4..] the group ids, in KEYS' order
-- Returns a flat list of {group id, event id, previous id in its stream, live JSON} per event.
local uid, top_n, recorded = ARGV[1], tonumber(ARGV[2]), {}
local function record(gid, stream, body)
  local newest = redis.call('XREVRANGE', stream, '+', '-', 'COUNT', 1)
  local after = newest[1] and newest[1][1] or '0-0'
  local id = redis.call('XADD', stream, 'MAXLEN', '~', ARGV[3], '*', 'body', body)
  for _, value in ipairs({gid, id, after, string.sub(body, 1, -2) .. ',"event_id":"' .. id .. '"}'}) do
    recorded[#recorded + 1] = value
  end
end
for g = 4, #ARGV do
  local gid, board, stream, published = ARGV[g], KEYS[3 * g - 10], KEYS[3 * g - 9], KEYS[3 * g - 8]
  local rows = redis.call('ZREVRANGE', board, 0, top_n - 1, 'WITHSCORES')
  local ids, user_in = {}, false
  for i = 1, #rows, 2 do
    ids[#ids + 1] = string.match(rows[i], ':(.*)$')
    user_in = user_in or ids[#ids] == uid
  end
  local last = redis.call('GET', published)
  if user_in or (last and string.find(last, '"' .. uid .. '"', 1, true)) then
    local names = #ids > 0 and redis.call('HMGET', KEYS[1], unpack(ids)) or {}
    local entries = {}
    for i = 1, #ids do
      entries[i] = {rank = i, user_id = ids[i], username = names[i] or cjson.null, score = tonumber(rows[2 * i])}
    end
    local shown = cjson.encode(entries)
    if last ~= shown then
      local before = {}
      for _, entry in ipairs(last and cjson.decode(last) or {}) do
        before[entry.user_id] = true
      end
      for _, entry in ipairs(entries) do
        if not before[entry.user_id] then
          record(gid, stream, cjson.encode({type = 'leaderboard.entered_top10', group_id = gid,
            user_id = entry.user_id, username = entry.username, rank = entry.rank, score = entry.score}))
        end
      end
      local body = cjson.encode({type = 'leaderboard.top10_changed', group_id = gid, entries = entries})
      if #entries == 0 then
        body = '{"type":"leaderboard.top10_changed","group_id":' .. cjson.encode(gid) .. ',"entries":[]}'
      end
      record(gid, stream, body)
      redis.call('SET', published, shown)
    end
  end
end
return recorded
