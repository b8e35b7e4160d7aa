"""Leaderboard events: written once to a capped Redis Stream (replay) and published (live).

The scoring job calls `score_events_publish` after the scoring script. One Lua script appends
each event to its Stream, which assigns the `event_id`, and publishes it on one Pub/Sub
channel in the same atomic step (lua/events_publish.lua):

| event                      | stream (replay)            | delivered to                     |
|----------------------------|----------------------------|----------------------------------|
| submission.processed       | the user's stream          | that user's /ws/me/ sockets      |
| leaderboard.entered_top10  | the user's and the board's | /ws/me/ of the user, /ws/leaderboard/ |
| leaderboard.top10_changed  | the board's                | /ws/leaderboard/ sockets         |

top10_changed is sent when the top 10 as shown (ranks, names, scores) differs from the last one
sent: the script compares it whenever the scorer reports a change or the user is in the top 10,
so a top-10 member's new score is announced even when nobody changes place.

A stream entry stores the event JSON without its id (the entry id is the id); `with_event_id`
adds it, exactly as the script does for the live copy, so replayed and live events are equal.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

from django.conf import settings

from accounts import keys as account_keys
from config.redis import LuaScript
from leaderboard import keys

TOP_N = 10
EVENT_ID_RE = re.compile(r"\d{1,20}-\d{1,20}")
NO_EVENT_ID = "0-0"  # the id before any event: replaying after it yields the whole stream

_publish = LuaScript(Path(__file__).parent / "lua" / "events_publish.lua")


def event_id_order(event_id: str) -> tuple[int, int]:
    """Return a sortable form of a stream id ("<ms>-<seq>")."""
    ms, _, seq = event_id.partition("-")
    return int(ms), int(seq or 0)


def with_event_id(body: str, event_id: str) -> str:
    """Add `"event_id"` to a stored event JSON object (the same splice the Lua script does)."""
    return f'{body[:-1]},"event_id":"{event_id}"}}'


def _in_top(rank: int | None) -> bool:
    return rank is not None and rank <= TOP_N


def _entered_top(rank_before: int | None, rank_after: int | None) -> bool:
    return _in_top(rank_after) and not _in_top(rank_before)


def _entered_body(*, user_id: str, username: str, total_score: int, rank: int | None) -> str:
    event = {"type": "leaderboard.entered_top10", "user_id": user_id, "username": username,
             "rank": rank, "score": total_score}
    return json.dumps(event)


def score_events_publish(
    *,
    user_id: str,
    username: str,
    submission_id: str,
    score: int,
    total_score: int,
    rank_before: int | None,
    rank_after: int | None,
    top10_changed: bool,
) -> dict[str, str]:
    """Record and publish the events a processed submission causes; return their event ids."""
    processed = {"type": "submission.processed", "submission_id": submission_id, "score": score,
                 "total_score": total_score, "rank": rank_after}
    entered = ""
    if _entered_top(rank_before, rank_after):
        entered = _entered_body(user_id=user_id, username=username, total_score=total_score, rank=rank_after)
    ids = _publish(
        keys=[keys.events_stream(), keys.user_events_stream(user_id), keys.board("all"),
              account_keys.users_names(), keys.top_published()],
        args=[
            keys.events_channel(),
            settings.EVENTS_STREAM_MAXLEN, settings.EVENTS_USER_STREAM_MAXLEN, settings.EVENTS_USER_STREAM_SECONDS,
            keys.BOARD_TOPIC, keys.user_topic(user_id),
            "", TOP_N, "1" if top10_changed or _in_top(rank_after) else "0",
            entered, json.dumps(processed),
        ],
    )
    names = ("submission.processed", "entered_top10.user", "entered_top10.board", "top10_changed")
    return {name: event_id for name, event_id in zip(names, ids) if event_id}
