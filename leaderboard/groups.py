"""Groups (classes, study groups): memberships as Redis Sets both ways, and the group boards.

Every membership change is one script (leaderboard/lua/group_*.lua) that changes both Sets and
the group's boards together. Group boards are written on the score path too (fan-out on write,
quizzes/lua/score_apply.lua): the score job adds the same entry to the boards of the user's
groups, at most GROUPS_MAX_PER_USER of them, so its cost is bounded; reads are the global
board's own scripts on the group's key. Join codes are Crockford base-32 (no I, L, O, U),
case-insensitive; only their SHA-256 names a key.
"""
from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timezone

from django.conf import settings

from accounts import keys as account_keys
from config.http.exceptions import Conflict, Forbidden, NotFound
from config.http.times import iso
from config.redis.clients import redis_client
from config.redis.lua import LuaScript
from leaderboard import group_live, keys, selectors

_LIBRARY = selectors._LUA / "group_boards.lua"
_create = LuaScript(selectors._LUA / "group_create.lua", library=_LIBRARY)
_join = LuaScript(selectors._LUA / "group_join.lua", library=_LIBRARY)
_leave = LuaScript(selectors._LUA / "group_leave.lua", library=_LIBRARY)
_delete = LuaScript(selectors._LUA / "group_delete.lua")
_rotate = LuaScript(selectors._LUA / "group_code_rotate.lua")
_rename = LuaScript(selectors._LUA / "group_rename.lua")
_member_boards = LuaScript(selectors._LUA / "group_member_boards.lua", library=_LIBRARY)

CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base 32: no I, L, O, U
CODE_LENGTH = 10  # 50 random bits
_CODE = re.compile(f"[{CODE_ALPHABET}]{{{CODE_LENGTH}}}")
_READ_AS = str.maketrans({"I": "1", "L": "1", "O": "0", "-": None, " ": None})
RETRIES = 5
NOT_FOUND = "Group not found."


class GroupNotFound(NotFound):
    default_message = NOT_FOUND


@dataclass(frozen=True)
class Slot:
    """A group board and the global board it copies, with where the user's tie on it is kept."""

    group_board: str
    board: str
    tie_ref: str
    tie_field: str
    expires: int | None


def code_new() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def code_normalize(code: str) -> str | None:
    """Return the canonical code (upper case, look-alikes read as Crockford does), or None if malformed."""
    canonical = code.upper().translate(_READ_AS)
    return canonical if _CODE.fullmatch(canonical) else None


def _slots(group_id: str, user_id: str, boards: list[str], expires: list[int | None]) -> tuple[list, list]:
    script_keys, args = [], []
    for board, expiry in zip(boards, expires):
        ref, field = keys.board_tie_ref(board, user_id)
        script_keys += [keys.group_board_of(group_id, board), board, ref]
        args += [field, "-" if expiry is None else expiry]
    return script_keys, args


def current_slots(group_id: str, user_id: str, now: datetime) -> tuple[list, list]:
    """Board slots of the current all-time, day and week boards (what a join copies)."""
    boards = [keys.board(period, now) for period in keys.PERIODS]
    expires = [keys.board_expires_at(period, now) for period in keys.PERIODS]
    return _slots(group_id, user_id, boards, expires)


def live_slots(group_id: str, user_id: str, now: datetime) -> tuple[list, list]:
    """Board slots of every board that can still exist (what a leave takes the user off)."""
    spans = [(keys.board("all"), None), *keys.period_boards_live(int(now.timestamp()))]
    return _slots(group_id, user_id, [board for board, _ in spans], [expiry for _, expiry in spans])


# --- services ----------------------------------------------------------------------------------


def group_create(*, user_id: str, name: str, now: datetime | None = None) -> dict:
    """Create a group owned by the user, with a fresh join code; its boards show the owner at once."""
    now = now or datetime.now(timezone.utc)
    for _ in range(RETRIES):
        group_id, code = secrets.token_hex(8), code_new()
        slot_keys, slot_args = current_slots(group_id, user_id, now)
        outcome = _create(
            keys=[keys.group(group_id), keys.group_members(group_id), keys.group_joined(group_id),
                  keys.user_groups(user_id), account_keys.user_profile(user_id),
                  account_keys.user_parked(user_id), keys.group_code(code), *slot_keys],
            args=[user_id, group_id, iso(now), settings.GROUPS_MAX_PER_USER, name, code, *slot_args],
        )
        if outcome == "user_full":
            raise Conflict(f"A user may be in at most {settings.GROUPS_MAX_PER_USER} groups.")
        if outcome == "created":
            group_live.group_events_record(group_ids=[group_id], user_id=user_id)
            return group_get(group_id=group_id, user_id=user_id)
    raise Conflict("Could not pick a free group id; try again.")


def group_join(*, user_id: str, join_code: str, now: datetime | None = None) -> dict:
    """Join the group a code opens; already a member is fine. Unknown or malformed codes are 404."""
    now = now or datetime.now(timezone.utc)
    code = code_normalize(join_code)
    group_id = code and redis_client().get(keys.group_code(code))
    if not group_id:
        raise NotFound("No group has this join code.")
    slot_keys, slot_args = current_slots(group_id, user_id, now)
    outcome = _join(
        keys=[keys.group(group_id), keys.group_members(group_id), keys.group_joined(group_id),
              keys.user_groups(user_id), account_keys.user_profile(user_id),
              account_keys.user_parked(user_id), *slot_keys],
        args=[user_id, group_id, iso(now), settings.GROUPS_MAX_PER_USER, settings.GROUP_MAX_MEMBERS, *slot_args],
    )
    if outcome == "missing":
        raise NotFound("No group has this join code.")
    if outcome == "user_full":
        raise Conflict(f"A user may be in at most {settings.GROUPS_MAX_PER_USER} groups.")
    if outcome == "group_full":
        raise Conflict(f"This group is full ({settings.GROUP_MAX_MEMBERS} members).")
    if outcome == "joined":
        group_live.group_events_record(group_ids=[group_id], user_id=user_id)
    return group_get(group_id=group_id, user_id=user_id)


def group_member_remove(
    *, group_id: str, user_id: str, actor_id: str, owner_ok: bool = False, now: datetime | None = None
) -> None:
    """Take a member out (the owner removing anyone, or a member leaving); the owner cannot leave."""
    group = _group_for(group_id=group_id, user_id=actor_id)
    if actor_id != user_id and group["owner_id"] != actor_id:
        raise Forbidden("Only the group's owner can remove other members.")
    outcome = member_leave(group_id=group_id, user_id=user_id, owner_ok=owner_ok, now=now)
    if outcome == "owner":
        raise Conflict("The owner cannot leave the group; delete it instead.")
    if outcome != "left":
        raise NotFound("No such member in this group.")


def member_leave(*, group_id: str, user_id: str, owner_ok: bool = False, now: datetime | None = None) -> str:
    """Run the leave script: "left", "owner", "not_member" or "missing"."""
    now = now or datetime.now(timezone.utc)
    slot_keys, slot_args = live_slots(group_id, user_id, now)
    outcome = _leave(
        keys=[keys.group(group_id), keys.group_members(group_id), keys.group_joined(group_id),
              keys.user_groups(user_id), account_keys.user_parked(user_id), *slot_keys],
        args=[user_id, group_id, "owner_ok" if owner_ok else "", *slot_args],
    )
    if outcome == "left":
        group_live.group_member_gone(group_id=group_id, user_id=user_id)
        group_live.group_events_record(group_ids=[group_id], user_id=user_id)
    return outcome


def group_rename(*, group_id: str, user_id: str, name: str) -> dict:
    group_owner_check(group_id=group_id, user_id=user_id)
    if not _rename(keys=[keys.group(group_id)], args=[name]):
        raise GroupNotFound()
    return group_get(group_id=group_id, user_id=user_id)


def group_code_rotate(*, group_id: str, user_id: str) -> str:
    """Give the group a new join code; the old one stops working at once."""
    for _ in range(RETRIES):
        old = group_owner_check(group_id=group_id, user_id=user_id)["join_code"]
        new = code_new()
        outcome = _rotate(
            keys=[keys.group(group_id), keys.group_code(old), keys.group_code(new)], args=[group_id, old, new]
        )
        if outcome == "missing":
            raise GroupNotFound()
        if outcome == "rotated":
            return new
    raise Conflict("The join code changed meanwhile; try again.")


def group_delete(*, group_id: str, user_id: str | None, now: datetime | None = None) -> None:
    """Delete a group (its owner's call; user_id None: the eraser), its memberships and boards."""
    now = now or datetime.now(timezone.utc)
    client = redis_client()
    for _ in range(RETRIES):
        group = group_owner_check(group_id=group_id, user_id=user_id) if user_id else client.hgetall(keys.group(group_id))
        if not group:
            return
        members = sorted(client.smembers(keys.group_members(group_id)))
        spans = [(keys.board("all"), None), *keys.period_boards_live(int(now.timestamp()))]
        boards = [keys.group_board_of(group_id, board) for board, _ in spans]
        boards += [keys.group_events_stream(group_id), keys.group_top_published(group_id)]
        outcome = _delete(
            keys=[keys.group(group_id), keys.group_members(group_id), keys.group_joined(group_id),
                  keys.group_code(group["join_code"]), *boards, *(keys.user_groups(uid) for uid in members)],
            args=[group_id, group["join_code"], len(boards), *members],
        )
        if outcome == "deleted":
            group_live.group_gone(group_id=group_id)
        if outcome != "retry":
            return
    raise Conflict("The group's members changed meanwhile; try again.")


# --- the per-user record registry (leaderboard/user_records.py) ---------------------------------


def groups_erase(user_id: str) -> None:
    """Leave every group; the groups the user owns are deleted (their members stay users)."""
    client = redis_client()
    for group_id in client.smembers(keys.user_groups(user_id)):
        if client.hget(keys.group(group_id), "owner_id") == user_id:
            group_delete(group_id=group_id, user_id=None)
        else:
            member_leave(group_id=group_id, user_id=user_id, owner_ok=True)
    client.delete(keys.user_groups(user_id))


def groups_export(user_id: str) -> tuple[str, object]:
    """The user's groups: {id, name, role, joined_at} each."""
    client = redis_client()
    rows = []
    for group in groups_of(user_id=user_id):
        joined_at = client.hget(keys.group_joined(group["id"]), user_id)
        rows.append({"id": group["id"], "name": group["name"], "role": group["role"], "joined_at": joined_at})
    return "groups", rows


def group_boards_leave(user_id: str, purpose: str) -> None:
    """Take the user off their groups' boards, staying a member (a ban, the inactive sweep)."""
    client = redis_client()
    now = datetime.now(timezone.utc)
    for group_id in client.smembers(keys.user_groups(user_id)):
        if purpose != "sweep":
            _member_boards_call(group_id, user_id, "off", *live_slots(group_id, user_id, now))
            continue
        # The sweep has dropped the user's ties already (user_evict.lua): find the member by its
        # uid suffix instead, on boards of at most GROUP_MAX_MEMBERS entries.
        for board in [keys.board("all"), *(board for board, _ in keys.period_boards_live(int(now.timestamp())))]:
            group_board = keys.group_board_of(group_id, board)
            found = [member for member, _ in client.zscan_iter(group_board, match=f"*:{user_id}", count=1000)]
            if found:
                client.zrem(group_board, *found)
    group_live.group_events_record(group_ids=sorted(client.smembers(keys.user_groups(user_id))), user_id=user_id)


def group_boards_return(user_id: str) -> None:
    """Copy the user's entries back onto their groups' boards (a ban ended)."""
    now = datetime.now(timezone.utc)
    group_ids = sorted(redis_client().smembers(keys.user_groups(user_id)))
    for group_id in group_ids:
        _member_boards_call(group_id, user_id, "on", *current_slots(group_id, user_id, now))
    group_live.group_events_record(group_ids=group_ids, user_id=user_id)


def group_boards_resync(*, user_id: str) -> None:
    """Copy the user's entries again onto every live board of their groups (after a disqualification)."""
    now = datetime.now(timezone.utc)
    group_ids = sorted(redis_client().smembers(keys.user_groups(user_id)))
    for group_id in group_ids:
        _member_boards_call(group_id, user_id, "resync", *live_slots(group_id, user_id, now))
    group_live.group_events_record(group_ids=group_ids, user_id=user_id)


def _member_boards_call(group_id: str, user_id: str, mode: str, slot_keys: list, slot_args: list) -> int:
    return _member_boards(
        keys=[keys.group_members(group_id), account_keys.user_profile(user_id), account_keys.user_parked(user_id),
              *slot_keys],
        args=[user_id, mode, *slot_args],
    )


# --- selectors ---------------------------------------------------------------------------------


def _group_for(*, group_id: str, user_id: str) -> dict:
    """The group's hash for one of its members; 404 for anyone else (existence does not leak)."""
    pipe = redis_client().pipeline(transaction=False)
    pipe.hgetall(keys.group(group_id))
    pipe.sismember(keys.group_members(group_id), user_id)
    group, member = pipe.execute()
    if not group or not member:
        raise GroupNotFound()
    return group


def group_owner_check(*, group_id: str, user_id: str) -> dict:
    """The group's hash for its owner; 403 for its other members, 404 for anyone else."""
    group = _group_for(group_id=group_id, user_id=user_id)
    if group["owner_id"] != user_id:
        raise Forbidden("Only the group's owner can do this.")
    return group


def _shape(group: dict, count: int, user_id: str) -> dict:
    owner = group["owner_id"] == user_id
    return {
        "id": group["id"], "name": group["name"], "owner_id": group["owner_id"], "member_count": int(count),
        "role": "owner" if owner else "member", "join_code": group["join_code"] if owner else None,
    }


def group_get(*, group_id: str, user_id: str) -> dict:
    """A group as its member sees it."""
    group = _group_for(group_id=group_id, user_id=user_id)
    return _shape(group, redis_client().scard(keys.group_members(group_id)), user_id)


def groups_of(*, user_id: str) -> list[dict]:
    """The user's groups, owned and joined, by name (two round trips, at most GROUPS_MAX_PER_USER)."""
    client = redis_client()
    ids = sorted(client.smembers(keys.user_groups(user_id)))
    pipe = client.pipeline(transaction=False)
    for group_id in ids:
        pipe.hgetall(keys.group(group_id))
        pipe.scard(keys.group_members(group_id))
    found = pipe.execute()
    groups = [_shape(found[i], found[i + 1], user_id) for i in range(0, len(found), 2) if found[i]]
    return sorted(groups, key=lambda g: (g["name"].lower(), g["id"]))


def group_members_page(*, group_id: str, user_id: str, limit: int, offset: int) -> dict:
    """{total, entries: [{user_id, username, role, joined_at}]}, by user id (SORT ... ALPHA LIMIT)."""
    group = _group_for(group_id=group_id, user_id=user_id)
    client = redis_client()
    pipe = client.pipeline(transaction=False)
    pipe.scard(keys.group_members(group_id))
    pipe.sort(keys.group_members(group_id), start=offset, num=limit, alpha=True)
    total, ids = pipe.execute()
    if not ids:
        return {"total": total, "entries": []}
    pipe = client.pipeline(transaction=False)
    pipe.hmget(account_keys.users_names(), ids)
    pipe.hmget(keys.group_joined(group_id), ids)
    names, joined = pipe.execute()
    entries = [
        {"user_id": uid, "username": name, "role": "owner" if uid == group["owner_id"] else "member",
         "joined_at": at}
        for uid, name, at in zip(ids, names, joined)
    ]
    return {"total": total, "entries": entries}


def group_board_page(*, group_id: str, user_id: str, period: str, limit: int, offset: int,
                     at: datetime | None = None) -> dict:
    """A page of a group's board, ranked among its members only (the global board's read script).

    `at`: an instant in the day or week to read (a past one's final board); the current one by default.
    """
    at = at or datetime.now(timezone.utc)
    # One round trip: the membership check and the page in one pipeline (the page of a
    # non-member is read and dropped; the 404 is the same as for an unknown group).
    pipe = redis_client().pipeline(transaction=False)
    pipe.sismember(keys.group_members(group_id), user_id)
    selectors._board_page(keys=[keys.group_board(group_id, period, at), account_keys.users_names()],
                          args=[offset, offset + limit - 1], client=pipe)
    member, (total, flat, _) = pipe.execute()
    if not member:
        raise GroupNotFound()
    return {"total": int(total), "entries": selectors._entries(flat, offset), "period": selectors.period_of(period, at)}


def group_board_around(*, group_id: str, user_id: str, period: str, around: int, at: datetime | None = None) -> dict:
    """The caller's {rank, score, around} on a group's board (of the period containing `at`; now by default)."""
    global_board = keys.board(period, at or datetime.now(timezone.utc))
    pipe = redis_client().pipeline(transaction=False)
    pipe.sismember(keys.group_members(group_id), user_id)
    pipe.hget(account_keys.user_profile(user_id), "hidden")
    pipe.hget(account_keys.user_parked(user_id), global_board)
    member, hidden, parked = pipe.execute()
    if not member:
        raise GroupNotFound()
    # A hidden member's group entry carries their parked entry's tie ("<points> <tie> <EXPIREAT>").
    tie = parked.split(" ")[1] if hidden and parked else None
    ref, field = keys.board_tie_ref(global_board, user_id)
    return selectors.board_around(
        board=keys.group_board_of(group_id, global_board), ref=ref, field=field, user_id=user_id, around=around,
        tie=tie,
    )
