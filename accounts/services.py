"""Writes for accounts: registration, sessions, tickets, roles."""
from __future__ import annotations

import json
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password

from accounts import keys
from accounts.user import RedisUser
from config.http.times import iso_now
from config.realtime.channel_layer import group_send_sync
from config.http.exceptions import Conflict, Forbidden
from config.outbox.reader import outbox_append, outbox_script_args
from config.redis.clients import redis_client
from config.redis.epoch import epoch_require
from config.redis.lua import LuaScript
from leaderboard import keys as lb_keys

_LUA = Path(__file__).parent / "lua"
_register = LuaScript(_LUA / "register.lua")
_session_create = LuaScript(_LUA / "session_create.lua")
_session_touch = LuaScript(_LUA / "session_touch.lua")

ROLE_USER = "user"
ROLE_ADMIN = "admin"


USER_ID_RE = re.compile(r"[0-9a-f]{16}")


class InvalidCredentials(Exception):
    """Unknown user or wrong password (deliberately indistinguishable)."""


class AccountSuspended(Forbidden):
    """A banned user's login: 403 `forbidden`."""

    default_message = "This account is suspended."


@dataclass(frozen=True)
class NewSession:
    token: str
    session_id: str
    expires_in: int


def _now_arg(now_ms: int | None) -> str:
    return "" if now_ms is None else str(int(now_ms))


def user_create(*, username: str, password: str, role: str = ROLE_USER) -> dict:
    """Create a user, claiming the name atomically; raise Conflict if it is taken.

    Refused (DataLost, 503) while Redis has lost its data: the name index is empty then, and a
    new account would take a name that belongs to someone in the record (PostgreSQL) or, without
    it, to someone whose account an acknowledgement has not yet written off.
    """
    epoch_require()
    user_id = secrets.token_hex(8)
    encoded, created_at = make_password(password), iso_now()
    outbox_keys, outbox_args = outbox_script_args()
    if outbox_keys:
        record = {"id": user_id, "username": username, "password": encoded, "created_at": created_at, "role": role}
        outbox_args.append(json.dumps(record, separators=(",", ":")))
    created = _register(
        keys=[
            keys.users_by_name(),
            keys.user_profile(user_id),
            keys.user_password(user_id),
            keys.users_names(),
            *outbox_keys,
        ],
        args=[username.lower(), user_id, username, encoded, created_at, role, *outbox_args],
    )
    if not created:
        raise Conflict("That username is taken.", details={"field": "username"})
    return {"id": user_id, "username": username}


def user_authenticate(*, username: str, password: str) -> dict:
    """Return the profile for valid credentials, or raise InvalidCredentials (DataLost while Redis lost its data)."""
    epoch_require()  # every account would look unknown: say what is wrong, not "wrong password"
    client = redis_client()
    user_id = client.hget(keys.users_by_name(), username.lower())
    if user_id is None:
        make_password(password)  # same work as a real check, so timing reveals nothing
        raise InvalidCredentials
    pipe = client.pipeline(transaction=False)
    pipe.get(keys.user_password(user_id))
    pipe.hmget(keys.user_profile(user_id), "id", "username", "role", "banned")
    encoded, (uid, name, role, banned) = pipe.execute()
    if not encoded or not check_password(password, encoded) or uid is None:
        raise InvalidCredentials
    if banned:
        raise AccountSuspended
    # The hash checked goes with the user: session_create opens no session once it changed.
    return {"id": uid, "username": name, "role": role or ROLE_USER, "password_hash": encoded}


def _token_user_id(token: str) -> str | None:
    """Tokens are "<user id>.<secret>"; the id lets one script read session and profile."""
    user_id, sep, secret = token.partition(".")
    if not sep or not USER_ID_RE.fullmatch(user_id) or not (20 <= len(secret) <= 128):
        return None
    return user_id


def session_create(*, user: dict, now_ms: int | None = None) -> NewSession:
    """Open a session for `user`; Redis stores only the token's SHA-256.

    Raise InvalidCredentials when the user is gone or their password changed since
    `user["password_hash"]` (user_authenticate's) was checked, AccountSuspended when banned.
    """
    token = f"{user['id']}.{secrets.token_urlsafe(32)}"
    session_id = keys.session_id_for(token)
    opened = _session_create(
        keys=[
            keys.session(session_id),
            keys.user_sessions(user["id"]),
            keys.users_last_seen(),
            keys.user_profile(user["id"]),
            lb_keys.board("all"),
            keys.user_password(user["id"]),
        ],
        args=[
            session_id,
            user["id"],
            settings.SESSION_IDLE_SECONDS,
            settings.SESSION_MAX_AGE_SECONDS,
            _now_arg(now_ms),
            lb_keys.BOARD_TIE_FIELD,
            user.get("password_hash") or "",
        ],
    )
    if opened[0] == 0:
        if opened[1] == "banned":
            raise AccountSuspended
        raise InvalidCredentials
    sessions_prune(user_id=user["id"])
    expires_in = min(settings.SESSION_IDLE_SECONDS, settings.SESSION_MAX_AGE_SECONDS)
    return NewSession(token=token, session_id=session_id, expires_in=expires_in)


def session_touch(*, token: str, now_ms: int | None = None) -> RedisUser | None:
    """Resolve a token to its user, sliding the idle timeout; None when not a live session."""
    call = _session_touch_call(token, now_ms)
    if call is None:
        return None
    session_id, script_call = call
    return _session_user(_session_touch(**script_call), session_id)


async def session_touch_async(*, token: str) -> RedisUser | None:
    """`session_touch` on the running event loop's Redis pool (the fast reads, config/http/fastpath.py)."""
    call = _session_touch_call(token, None)
    if call is None:
        return None
    session_id, script_call = call
    return _session_user(await _session_touch.run_async(**script_call), session_id)


def session_touch_by_id(*, session_id: str, user_id: str, now_ms: int | None = None) -> RedisUser | None:
    """`session_touch` for a session known by its id (a browser login keeps no token)."""
    if not USER_ID_RE.fullmatch(user_id):
        return None
    return _session_user(_session_touch(**_session_touch_args(session_id, user_id, now_ms)), session_id)


def _session_touch_call(token: str, now_ms: int | None) -> tuple[str, dict] | None:
    """(session id, the script's keys and args) for a well-formed token, else None."""
    user_id = _token_user_id(token)
    if user_id is None:
        return None
    session_id = keys.session_id_for(token)
    return session_id, _session_touch_args(session_id, user_id, now_ms)


def _session_touch_args(session_id: str, user_id: str, now_ms: int | None) -> dict:
    return {
        "keys": [keys.session(session_id), keys.user_profile(user_id), keys.users_last_seen()],
        "args": [
            settings.SESSION_IDLE_SECONDS,
            settings.ACTIVITY_WRITE_INTERVAL_SECONDS,
            user_id,
            _now_arg(now_ms),
        ],
    }


def _session_user(row: list | None, session_id: str) -> RedisUser | None:
    if row is None:
        return None
    uid, username, role, created, abs_ms, ttl_ms = row
    return RedisUser(
        id=uid,
        username=username or "",
        role=role or ROLE_USER,
        session_id=session_id,
        session_created_ms=int(created),
        session_expires_at_ms=int(abs_ms),
        session_ttl_ms=int(ttl_ms),
    )


def sessions_end(*, user_id: str, session_ids: list[str]) -> None:
    """End the given sessions now (one MULTI), then tell their connected sockets."""
    if not session_ids:
        return
    pipe = redis_client().pipeline(transaction=True)
    pipe.delete(*(keys.session(sid) for sid in session_ids))
    pipe.zrem(keys.user_sessions(user_id), *session_ids)
    pipe.execute()
    sessions_ended_announce(session_ids=session_ids)


def sessions_end_all(*, user_id: str) -> list[str]:
    """End every session of a user, including one created while we read the index."""
    index = keys.user_sessions(user_id)
    ended: list[str] = []

    def _end(pipe) -> None:
        ended[:] = pipe.zrange(index, 0, -1)
        pipe.multi()
        if ended:
            pipe.delete(*(keys.session(sid) for sid in ended))
        pipe.delete(index)

    # WATCH the index: a login racing this call makes the transaction retry, not survive.
    redis_client().transaction(_end, index)
    sessions_ended_announce(session_ids=ended)
    return ended


def sessions_ended_announce(*, session_ids: list[str]) -> None:
    """Tell the sockets of these ended sessions, on every web process, to close (4401)."""
    group_send_sync([(keys.session_group(sid), {"type": "session.ended"}) for sid in session_ids])


def sessions_prune(*, user_id: str) -> list[str]:
    """Drop index entries whose session expired; end the oldest beyond the per-user cap."""
    client = redis_client()
    index = keys.user_sessions(user_id)
    session_ids = client.zrange(index, 0, -1)
    if not session_ids:
        return []
    pipe = client.pipeline(transaction=False)
    for sid in session_ids:
        pipe.exists(keys.session(sid))
    alive = pipe.execute()
    dead = [sid for sid, ok in zip(session_ids, alive) if not ok]
    if dead:
        client.zrem(index, *dead)
    live = [sid for sid, ok in zip(session_ids, alive) if ok]
    excess = len(live) - settings.SESSIONS_PER_USER_MAX
    if excess > 0:
        sessions_end(user_id=user_id, session_ids=live[:excess])
    return dead


def ws_ticket_create(*, user: RedisUser) -> tuple[str, int]:
    """Issue a one-time WebSocket ticket bound to the caller's session."""
    ticket = secrets.token_urlsafe(32)
    ttl = settings.WS_TICKET_SECONDS
    value = json.dumps({"session_id": user.session_id, "user_id": user.id})
    redis_client().set(keys.ws_ticket(ticket), value, ex=ttl)
    return ticket, ttl


def ws_ticket_redeem(*, ticket: str) -> dict | None:
    """Consume a ticket (GETDEL: a second use finds nothing); None if unknown, used or expired.

    Returns {"session_id", "user_id", "username"} only while the session is still alive.
    """
    if not ticket or len(ticket) > 128:
        return None
    client = redis_client()
    raw = client.getdel(keys.ws_ticket(ticket))
    if raw is None:
        return None
    data = json.loads(raw)
    pipe = client.pipeline(transaction=False)
    pipe.hget(keys.session(data["session_id"]), "uid")
    pipe.hget(keys.user_profile(data["user_id"]), "username")
    uid, username = pipe.execute()
    if uid != data["user_id"]:
        return None
    return {"session_id": data["session_id"], "user_id": uid, "username": username}


def password_change(*, user_id: str, session_id: str, current_password: str, new_password: str) -> list[str]:
    """Set a new password and end every other session in one MULTI; raise InvalidCredentials if wrong.

    WATCH on the password and the session index: a login or another change racing this one makes
    the transaction retry (re-checking the password), so no session it missed survives.
    """
    password_key, index = keys.user_password(user_id), keys.user_sessions(user_id)
    encoded_new = make_password(new_password)
    ended: list[str] = []

    def _change(pipe) -> None:
        encoded = pipe.get(password_key)
        if not encoded or not check_password(current_password, encoded):
            raise InvalidCredentials
        ended[:] = [sid for sid in pipe.zrange(index, 0, -1) if sid != session_id]
        pipe.multi()
        pipe.set(password_key, encoded_new)
        if ended:
            pipe.delete(*(keys.session(sid) for sid in ended))
            pipe.zrem(index, *ended)
        outbox_append(pipe, type="user.password", data={"id": user_id, "password": encoded_new})

    redis_client().transaction(_change, password_key, index)
    sessions_ended_announce(session_ids=ended)
    return ended


def user_set_role(*, user_id: str, role: str) -> None:
    """Change a user's role; sessions read it from the profile, so it applies at once."""
    pipe = redis_client().pipeline(transaction=True)
    pipe.hset(keys.user_profile(user_id), "role", role)
    outbox_append(pipe, type="user.role", data={"id": user_id, "role": role})
    pipe.execute()
