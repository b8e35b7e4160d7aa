-- Append one admin action to the audit Stream and, with the archive on, the same entry (with
-- the id the Stream gave it) to the outbox, in one step.
-- KEYS[1] audit stream   KEYS[2] (only with the archive on) outbox stream
-- ARGV[1] audit MAXLEN (approximate)   ARGV[2] actor_id   ARGV[3] action   ARGV[4] target_type
-- ARGV[5] target_id   ARGV[6] reason   ARGV[7] outbox MAXLEN (with the archive on)
-- Returns the audit entry's id.
local id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', 'actor_id', ARGV[2], 'action', ARGV[3],
  'target_type', ARGV[4], 'target_id', ARGV[5], 'reason', ARGV[6])
if KEYS[2] then
  local data = cjson.encode({id = id, actor_id = ARGV[2], action = ARGV[3], target_type = ARGV[4],
    target_id = ARGV[5], reason = ARGV[6]})
  redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[7], '*', 'type', 'audit.recorded', 'data', data)
end
return id
