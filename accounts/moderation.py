"""Bans and privacy: take a user off the boards (parking their entries) and put them back.

Both go through accounts/records.py for the boards a user may stand on, and through one pair of
scripts (lua/user_boards_leave.lua, lua/user_boards_return.lua) that set or clear the profile
flag the score script reads (`banned`: queued submissions fail unscored; `hidden`: points go
to the parked entries, never onto a board) in the same step as the boards change. So a ban or
a hide racing a score job never leaves the user on a board, whichever runs first, and a return
restores the exact tie their points earned.
"""
from __future__ import annotations

import json
import time
from pathlib import Path

from accounts import audit, keys, records
from accounts.services import sessions_end_all
from config.http.exceptions import NotFound
from config.http.times import iso_now
from config.outbox.reader import outbox_append
from config.redis.clients import redis_client
from config.redis.lua import LuaScript
from leaderboard import events
from leaderboard import keys as lb_keys

_LUA = Path(__file__).parent / "lua"
_leave = LuaScript(_LUA / "user_boards_leave.lua", library=events.SCORE_EVENTS_LUA)
_return = LuaScript(_LUA / "user_boards_return.lua", library=events.SCORE_EVENTS_LUA)

BANNED, HIDDEN = "banned", "hidden"
RETURN_ATTEMPTS = 5


def _board_keys(user_id: str, boards: list[str]) -> list[str]:
    return [key for board in boards for key in (board, lb_keys.board_tie_ref(board, user_id)[0])]


def _announce(user_id: str, recorded: list[str]) -> None:
    if recorded:
        events.events_announce_recorded(user_id, recorded)


def boards_leave(*, user_id: str, flag: str, fields: dict[str, str], purpose: str, now: int | None = None) -> int:
    """Set `flag` (and `fields`) on the profile and take the user off `purpose`'s boards; count parked."""
    now = int(time.time()) if now is None else now
    spans = records.user_boards(now=now, purpose=purpose, user_id=user_id)
    boards = [board for board, _ in spans]
    arg = {
        "uid": user_id, "flag": flag, "set": [x for pair in {flag: "1", **fields}.items() for x in pair],
        "ties": [lb_keys.board_tie_ref(board, user_id)[1] for board in boards],
        "expires": ["-" if at is None else str(at) for _, at in spans],
        "limits": events.score_events_limits(), "evicted_field": "evicted",
    }
    reply = _leave(
        keys=[keys.user_profile(user_id), keys.user_parked(user_id), *events.score_events_keys(user_id),
              *_board_keys(user_id, boards)],
        args=[json.dumps(arg)],
    )
    if reply[0] == "missing":
        raise NotFound("User not found.")
    _announce(user_id, reply[2:])
    parked = int(reply[1])
    # A user's own boards (quiz boards) were read before the flag was set: one the user stepped
    # onto in between is taken off now. After the flag no score lands on a board, so one more
    # read is the last: `again` parks those entries though the flag is already set.
    late = [span for span in records.user_boards(now=now, purpose=purpose, user_id=user_id) if span[0] not in boards]
    if late:
        arg.update(ties=[lb_keys.board_tie_ref(board, user_id)[1] for board, _ in late],
                   expires=["-" if at is None else str(at) for _, at in late], again=True)
        reply = _leave(
            keys=[keys.user_profile(user_id), keys.user_parked(user_id), *events.score_events_keys(user_id),
                  *_board_keys(user_id, [board for board, _ in late])],
            args=[json.dumps(arg)],
        )
        _announce(user_id, reply[2:])
        parked += int(reply[1])
    if purpose != "hide":
        records.user_left_boards(user_id=user_id, purpose=purpose)  # per-user boards (groups')
    return parked


def boards_return(*, user_id: str, flag: str, clear: list[str], now: int | None = None) -> int | None:
    """Clear `flag` (and `clear`); put the parked entries back unless the other flag holds (None then)."""
    client = redis_client()
    other = HIDDEN if flag == BANNED else BANNED
    for _ in range(RETURN_ATTEMPTS):
        boards = sorted(client.hkeys(keys.user_parked(user_id)))
        if gone := records.boards_gone(boards):  # a deleted quiz's board: its parked entry just goes
            client.hdel(keys.user_parked(user_id), *gone)
            boards = [board for board in boards if board not in gone]
        arg = {
            "uid": user_id, "clear": [flag, *clear], "other": other,
            "ties": [lb_keys.board_tie_ref(board, user_id)[1] for board in boards],
            "now": int(time.time()) if now is None else now, "limits": events.score_events_limits(),
        }
        reply = _return(
            keys=[keys.user_profile(user_id), keys.user_parked(user_id), *events.score_events_keys(user_id),
                  *_board_keys(user_id, boards)],
            args=[json.dumps(arg)],
        )
        if reply[0] == "missing":
            raise NotFound("User not found.")
        if reply[0] in ("still_off", "back") and flag == BANNED:
            records.user_returned(user_id=user_id)  # group boards show a hidden member too
        if reply[0] == "still_off":
            return None
        if reply[0] == "back":
            _announce(user_id, reply[2:])
            return int(reply[1])
    raise RuntimeError("the parked entries kept changing; try again")  # a score job per attempt


def user_ban(*, actor_id: str, user_id: str, reason: str) -> dict:
    """Ban a user: off every board, every session ended (sockets 4401), queued submissions unscored."""
    banned_at = iso_now()
    boards_leave(user_id=user_id, flag=BANNED, fields={"ban_reason": reason, "banned_at": banned_at}, purpose="ban")
    _archive(user_id, banned_at=banned_at, ban_reason=reason)
    # After the flag: session_create.lua refuses a banned user, so no login slips in behind this.
    sessions_end_all(user_id=user_id)
    audit.audit_record(actor_id=actor_id, action="user.ban", target_type="user", target_id=user_id, reason=reason)
    return {"id": user_id, "banned": True, "reason": reason, "banned_at": banned_at}


def user_unban(*, actor_id: str, user_id: str, reason: str = "") -> dict:
    """Lift a ban: back on every board with the points and ties they had (unless hidden)."""
    boards_return(user_id=user_id, flag=BANNED, clear=["ban_reason", "banned_at"])
    _archive(user_id, banned_at=None, ban_reason="")
    audit.audit_record(actor_id=actor_id, action="user.unban", target_type="user", target_id=user_id, reason=reason)
    return {"id": user_id, "banned": False}


def user_privacy_set(*, user_id: str, public: bool) -> None:
    """Show or hide the user on the public boards (global, period, per-quiz)."""
    if public:
        boards_return(user_id=user_id, flag=HIDDEN, clear=[])
    else:
        boards_leave(user_id=user_id, flag=HIDDEN, fields={}, purpose="hide")
        records.user_hidden(user_id=user_id)  # and the past board events that name them
    _archive(user_id, hidden=not public)


def _archive(user_id: str, **changed) -> None:
    """Record a ban, unban or privacy change for the archive, so rebuild_redis restores it.

    Appended right after the change (the flag and the boards move in one script; this is a
    second, idempotent write): a crash between the two leaves the archive one change behind
    until the user's next change, which records the whole of what it changed again.
    """
    pipe = redis_client().pipeline(transaction=True)
    outbox_append(pipe, type="user.moderation", data={"id": user_id, **changed})
    if len(pipe):
        pipe.execute()
