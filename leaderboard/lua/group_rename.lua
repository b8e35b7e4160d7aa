-- Rename a group that still exists (a plain HSET would bring a deleted one back as a stub).
-- KEYS[1] group hash   ARGV[1] the new name
-- Returns 1 when renamed, 0 when the group is gone.
if redis.call('EXISTS', KEYS[1]) == 0 then
  return 0
end
redis.call('HSET', KEYS[1], 'name', ARGV[1])
return 1
