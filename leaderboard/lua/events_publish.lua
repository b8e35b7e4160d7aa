-- Record a processed submission's events, atomically, for callers other than the score script
-- (which records them itself, in the same step as the score): score_events_record, from
-- leaderboard/lua/score_events.lua (loaded before this script), which says what is recorded.
-- KEYS[1] board events stream   KEYS[2] the user's events stream
-- KEYS[3] global board zset   KEYS[4] users:names hash   KEYS[5] string: the last recorded top-N JSON
-- ARGV[1] board stream MAXLEN   ARGV[2] user stream MAXLEN   ARGV[3] user stream TTL (s)
-- ARGV[4] top N size   ARGV[5] submission id   ARGV[6] user id   ARGV[7] username
-- ARGV[8] score   ARGV[9] total_score   ARGV[10] rank before   ARGV[11] rank after ("" = unranked)
-- ARGV[12] "1" when the scorer saw the top N's members change
return score_events_record(
  {KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]},
  {ARGV[1], ARGV[2], ARGV[3], ARGV[4]},
  {submission_id = ARGV[5], user_id = ARGV[6], username = ARGV[7], score = tonumber(ARGV[8]),
   total = tonumber(ARGV[9]), rank_before = tonumber(ARGV[10]), rank_after = tonumber(ARGV[11]),
   top_changed = ARGV[12] == '1'})
