"""The rate limiter's per-user records, as registered with accounts/records.py (AppConfig.ready)."""
from __future__ import annotations

from accounts import keys as account_keys
from accounts.records import RecordKind, keys_delete
from config.redis.clients import redis_client
from ratelimit import keys


def limits_erase(user_id: str) -> None:
    """The user's submission and group-join windows, and the failed-login log of their username."""
    client = redis_client()
    username = client.hget(account_keys.user_profile(user_id), "username")
    names = [keys.submissions(user_id, algorithm) for algorithm in ("sliding", "fixed")]
    names.append(keys.group_join(user_id, "sliding"))
    if username:
        names.append(keys.login_failures(username, "sliding"))
    keys_delete(client, names)


KINDS = (
    RecordKind(name="ratelimit", owner="ratelimit", erase=limits_erase, order=40,
               documented=("qb:rl:submissions:sliding:{uid}", "qb:rl:submissions:fixed:{uid}",
                           "qb:rl:group-join:sliding:{uid}")),
)
