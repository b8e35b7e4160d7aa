"""Keys owned by the accounts app.

| key                              | type   | TTL                                   | contents                                      |
|----------------------------------|--------|---------------------------------------|-----------------------------------------------|
| qb:user:{uid}                    | hash   | none (profile stays)                  | id, username, total_score, quizzes_solved, created_at, role; board_tie (the user's tie on qb:lb:all, leaderboard/encoding.py); evicted (see below); banned, ban_reason, banned_at (while banned); hidden (while not public); erasing (an erasure under way) |
| qb:user:{uid}:password           | string | none                                  | Django password hash                          |
| qb:user:{uid}:parked             | hash   | none (emptied on return, erased with the user) | board key -> "<points> <tie> <EXPIREAT or ->": the user's entries while off the boards (banned or hidden) |
| qb:audit                         | stream | none; capped (XADD MAXLEN ~ AUDIT_STREAM_MAXLEN) | admin actions: actor_id, action, target_type, target_id, reason (accounts/audit.py) |
| qb:erasures                      | zset   | none; entries removed when done       | uid -> when its erasure started (epoch s): erasures under way, finished by the reconciler after a crash |
| qb:users:by-name                 | hash   | none                                  | lower(username) -> uid (the atomic name claim)|
| qb:users:names                   | hash   | none                                  | uid -> username (joins for leaderboards)      |
| qb:users:last-seen               | zset   | none; the sweep removes evicted users | uid -> last authenticated activity (epoch s)  |
| qb:session:{sha256(token)}       | hash   | idle 30 min, never past the 24 h cap  | uid, created, seen, abs (epoch ms)            |
| qb:user:{uid}:sessions           | zset   | until the newest session's 24 h cap   | session id -> absolute expiry (epoch ms)      |
| qb:ws-ticket:{sha256(ticket)}    | string | 30 s, deleted on first use            | session id                                    |
| qb:cache:1:browser-session:{sha256(cookie)} | Django cache | 24 h (SESSION_COOKIE_AGE)  | a browser login's Django session: the accounts session id and user id |

Tokens are "<uid>.<secret>"; only their SHA-256 is stored.
Channel-layer group `session.<session id>` gets `{"type": "session.ended"}` when the session ends.

Inactive-user lifecycle (accounts/lifecycle.py): the sweep removes a user inactive for
INACTIVE_AFTER_DAYS from every board, ends their sessions and drops their last-seen entry.
If they were on the global board it stores their global entry ("<points> <tie>", see
leaderboard/encoding.py) in the profile field `evicted`, and drops `board_tie`;
their next login (session_create.lua) puts that entry back on `qb:lb:all` (never over a live
entry) and deletes the field. Scoring writes the global board from
the profile's total_score, so a returning user is whole either way.
"""
from __future__ import annotations

from config.redis.keys import digest, key


def user_profile(user_id: str) -> str:
    return key("user", user_id)


def user_password(user_id: str) -> str:
    return key("user", user_id, "password")


def user_sessions(user_id: str) -> str:
    return key("user", user_id, "sessions")


def user_sessions_pattern() -> str:
    """SCAN MATCH pattern for every user's session index (user ids are hex: no glob escaping)."""
    return key("user", "*", "sessions")


def user_parked(user_id: str) -> str:
    """A banned or hidden user's board entries, kept for their return (accounts/moderation.py)."""
    return key("user", user_id, "parked")


def audit_stream() -> str:
    """The capped Stream of admin actions."""
    return key("audit")


def erasures() -> str:
    """Erasures under way (the tombstones the reconciler finishes)."""
    return key("erasures")


def users_by_name() -> str:
    return key("users", "by-name")


def users_names() -> str:
    return key("users", "names")


def users_last_seen() -> str:
    return key("users", "last-seen")


def session(session_id: str) -> str:
    return key("session", session_id)


def session_id_for(token: str) -> str:
    """The stored id of a session is the SHA-256 of its token: a Redis dump yields no token."""
    return digest(token)


def ws_ticket(ticket: str) -> str:
    return key("ws-ticket", digest(ticket))


def browser_session_cache_key(session_key: str) -> str:
    """The Django cache key (under CACHES' own prefix) of a browser session: the cookie hashed."""
    return f"browser-session:{digest(session_key)}"


def session_group(session_id: str) -> str:
    """The channel-layer group of the sockets opened under a session (a group name, not a key)."""
    return f"session.{session_id}"
