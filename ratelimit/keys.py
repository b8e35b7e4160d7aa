"""Keys owned by the ratelimit app.

| key                                         | type | TTL                                    | contents                                  |
|---------------------------------------------|------|----------------------------------------|-------------------------------------------|
| qb:rl:submissions:sliding:{uid}             | zset | window (60 s) after the newest entry   | attempt id -> admission time (epoch ms)   |
| qb:rl:submissions:fixed:{uid}               | hash | until the current window ends          | start (window start, epoch ms), count     |
| qb:rl:group-join:sliding:{uid}              | zset | window (1 min) after the newest entry  | attempt id -> admission time (epoch ms)   |
| qb:rl:auth-ip:sliding:{sha256(ip)}          | zset | window (1 min) after the newest entry  | attempt id -> admission time (epoch ms)   |
| qb:rl:login-failures:sliding:{sha256(name)} | zset | window (15 min) after the newest entry | attempt id -> attempt time (epoch ms)     |

The algorithm is part of the key: switching RATELIMIT_SUBMISSIONS_ALGORITHM on a live system
starts fresh keys instead of hitting a key of the other type (WRONGTYPE). Client addresses and
usernames are client-supplied text, so only their SHA-256 appears in a key.
"""
from __future__ import annotations

from config.redis.keys import digest, key

SUBMISSIONS = "submissions"
AUTH_IP = "auth-ip"
LOGIN_FAILURES = "login-failures"
GROUP_JOIN = "group-join"


def submissions(user_id: str, algorithm: str) -> str:
    return key("rl", SUBMISSIONS, algorithm, user_id)


def auth_ip(ip: str, algorithm: str) -> str:
    return key("rl", AUTH_IP, algorithm, digest(ip))


def login_failures(username: str, algorithm: str) -> str:
    """Usernames are case-insensitive, so every spelling shares one failure count."""
    return key("rl", LOGIN_FAILURES, algorithm, digest(username.lower()))


def group_join(user_id: str, algorithm: str) -> str:
    """Group joins of one user: every attempt counts, found or not (join codes cannot be guessed)."""
    return key("rl", GROUP_JOIN, algorithm, user_id)
