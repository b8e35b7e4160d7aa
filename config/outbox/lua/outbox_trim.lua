-- Trim the outbox up to what every consumer group is done with, in one atomic step (no group
-- can move or appear between the look and the trim).
-- KEYS[1] outbox stream
-- ARGV[1..] every group that must exist before anything is trimmed (settings.OUTBOX_GROUPS), so
-- that a group deployed later still finds every entry written before it first ran
-- Returns the number of entries removed; 0 while a group of ARGV is missing.
-- A group is done with every entry below its oldest pending one, or, with none pending, with
-- every entry up to its last delivered one. Entries below the smallest of those bounds are gone
-- from every group's view; XTRIM MINID removes them (exact, not ~, so the figure is honest), and
-- a Stream every group has finished is left empty.
local groups = redis.call('XINFO', 'GROUPS', KEYS[1])
local present = {}
for _, group in ipairs(groups) do
  for i = 1, #group, 2 do
    if group[i] == 'name' then
      present[group[i + 1]] = true
    end
  end
end
if #groups == 0 then
  return 0
end
for _, name in ipairs(ARGV) do
  if not present[name] then
    return 0
  end
end
local function parse(id)
  local ms, seq = string.match(id, '^(%d+)-(%d+)$')
  return tonumber(ms), tonumber(seq)
end
local function less(a, b)
  local ams, aseq = parse(a)
  local bms, bseq = parse(b)
  return ams < bms or (ams == bms and aseq < bseq)
end
local floor = nil
for _, group in ipairs(groups) do
  local info = {}
  for i = 1, #group, 2 do
    info[group[i]] = group[i + 1]
  end
  local ms, seq = string.match(info['last-delivered-id'], '^(%d+)-(%d+)$')
  local keep = ms .. '-' .. string.format('%d', tonumber(seq) + 1)
  if tonumber(info['pending']) > 0 then
    keep = redis.call('XPENDING', KEYS[1], info['name'])[2]
  end
  if floor == nil or less(keep, floor) then
    floor = keep
  end
end
return redis.call('XTRIM', KEYS[1], 'MINID', floor)
