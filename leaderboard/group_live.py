"""Live group boards: each group's own capped Stream of board events, announced on its own group.

A group board's events differ from the global board's (its own top 10), so the global Stream
filtered by membership could not carry them: each group has a Stream (qb:grp:{gid}:events,
capped at GROUP_EVENTS_STREAM_MAXLEN) written by lua/group_events.lua after anything moved the
group's board (a score, a join, a leave, a ban), and each event is announced to the
channel-layer group `leaderboard.group.<gid>` as the same `feed.event` the global socket gets,
so /ws/leaderboard/?group=<gid> runs the global socket's replay and live code unchanged.
A member taken out (left, removed, erased) gets `group.left` on `leaderboard.group.<gid>.user.<uid>`,
and every socket of a deleted group on `leaderboard.group.<gid>`: the socket closes with 4403.
"""
from __future__ import annotations

from pathlib import Path

from django.conf import settings

from accounts import keys as account_keys
from config.realtime.channel_layer import group_send_sync
from config.redis.lua import LuaScript
from leaderboard import keys
from leaderboard.events import FEED_EVENT, TOP_N

_record = LuaScript(Path(__file__).parent / "lua" / "group_events.lua")
GROUP_LEFT = {"type": "group.left"}


def group_events_record(*, group_ids: list[str], user_id: str) -> None:
    """Record the board events of `user_id`'s groups whose top 10 their move changed (one script), and announce them."""
    if not group_ids:
        return
    flat = _record(
        keys=[account_keys.users_names(), *(key for group_id in group_ids for key in (
            keys.group_board(group_id), keys.group_events_stream(group_id), keys.group_top_published(group_id)))],
        args=[user_id, TOP_N, settings.GROUP_EVENTS_STREAM_MAXLEN, *group_ids],
    )
    messages = [
        (keys.group_channel(flat[i]), {"type": FEED_EVENT, "event_id": flat[i + 1], "after": flat[i + 2],
                                       "text": flat[i + 3]})
        for i in range(0, len(flat), 4)
    ]
    if messages:
        group_send_sync(messages, wait=False)


def group_member_gone(*, group_id: str, user_id: str) -> None:
    """Close the user's sockets on this group's board (they left or were removed)."""
    group_send_sync([(keys.group_member_channel(group_id, user_id), GROUP_LEFT)], wait=False)


def group_gone(*, group_id: str) -> None:
    """Close every socket on this group's board (the group was deleted)."""
    group_send_sync([(keys.group_channel(group_id), GROUP_LEFT)], wait=False)
