"""The accounts app's own per-user records, as registered with accounts/records.py (AppConfig.ready)."""
from __future__ import annotations

from pathlib import Path

from accounts import keys, selectors
from accounts.records import RecordKind, keys_delete
from accounts.services import sessions_end_all
from config.redis.clients import redis_client
from config.redis.lua import LuaScript

_forget = LuaScript(Path(__file__).parent / "lua" / "user_forget.lua")


def sessions_erase(user_id: str) -> None:
    """End every session (their sockets close with 4401); tickets die with their session."""
    sessions_end_all(user_id=user_id)


def parked_erase(user_id: str) -> None:
    keys_delete(redis_client(), [keys.user_parked(user_id)])


def profile_erase(user_id: str) -> None:
    """Free the name, drop profile and password and the erasure marker (user_forget.lua)."""
    _forget(
        keys=[keys.users_by_name(), keys.users_names(), keys.users_last_seen(), keys.user_profile(user_id),
              keys.user_password(user_id), keys.erasures()],
        args=[user_id],
    )


def profile_export(user_id: str) -> tuple[str, object]:
    profile = selectors.user_profile(user_id=user_id) or {}
    created_at, role = redis_client().hmget(keys.user_profile(user_id), "created_at", "role")
    return "profile", {**profile, "created_at": created_at, "role": role or "user"}


def sessions_export(user_id: str) -> tuple[str, object]:
    """Live sessions by their short id and times: never a token or its hash."""
    return "sessions", [
        {key: value for key, value in row.items() if key != "current"}
        for row in selectors.user_sessions(user_id=user_id)
    ]


KINDS = (
    RecordKind(name="sessions", owner="accounts", erase=sessions_erase, order=10, export=sessions_export,
               documented=("qb:user:{uid}:sessions", "qb:session:{sha256(token)}", "qb:ws-ticket:{sha256(ticket)}")),
    RecordKind(name="parked", owner="accounts", erase=parked_erase, order=60, documented=("qb:user:{uid}:parked",)),
    RecordKind(name="profile", owner="accounts", erase=profile_erase, order=99, export=profile_export,
               documented=("qb:user:{uid}", "qb:user:{uid}:password", "qb:users:by-name", "qb:users:names",
                           "qb:users:last-seen")),
)
