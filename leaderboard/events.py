"""Leaderboard events: written once to a capped Redis Stream (replay), announced with group_send (live).

The score script records a processed submission's events in the same step as the score
(quizzes/lua/score_apply.lua); any other caller records them with `score_events_publish`
(lua/events_publish.lua). Both run one set of rules, lua/score_events.lua, which appends each
event to its Stream (the Stream assigns the `event_id`). Then each is announced to its
channel-layer group as `{"type": "feed.event", "event_id", "after", "text"}`, where `after` is
the id of the entry before it in the same Stream and `text` the client JSON
(`events_announce_recorded`):

| event                      | stream (replay)            | group (live)                          |
|----------------------------|----------------------------|---------------------------------------|
| submission.processed       | the user's stream          | user.<uid>: that user's /ws/me/ sockets |
| leaderboard.entered_top10  | the user's and the board's | user.<uid> and leaderboard            |
| leaderboard.top10_changed  | the board's                | leaderboard: /ws/leaderboard/ sockets |

The announcing code knows only the layer's API (`group_send`), so any process can announce
the same way. A consumer that gets an event whose `after` is not the last id it sent re-reads
the Stream, so announcements that arrive out of order (two workers) lose nothing.

top10_changed is sent when the top 10 as shown (ranks, names, scores) differs from the last one
sent: the script compares it whenever the scorer reports a change or the user is in the top 10,
so a top-10 member's new score is announced even when nobody changes place.

A stream entry stores the event JSON without its id (the entry id is the id); `with_event_id`
adds it, exactly as the script does for the live copy, so replayed and live events are equal.
"""
from __future__ import annotations

import re
from pathlib import Path

from django.conf import settings

from accounts import keys as account_keys
from config.realtime.channel_layer import group_send_sync
from config.redis.lua import LuaScript
from leaderboard import keys

TOP_N = 10
EVENT_ID_RE = re.compile(r"\d{1,20}-\d{1,20}")
NO_EVENT_ID = "0-0"  # the id before any event: replaying after it yields the whole stream

SCORE_EVENTS_LUA = Path(__file__).parent / "lua" / "score_events.lua"
_record = LuaScript(Path(__file__).parent / "lua" / "events_publish.lua", library=SCORE_EVENTS_LUA)
FEED_EVENT = "feed.event"


def event_id_order(event_id: str) -> tuple[int, int]:
    """Return a sortable form of a stream id ("<ms>-<seq>")."""
    ms, _, seq = event_id.partition("-")
    return int(ms), int(seq or 0)


def with_event_id(body: str, event_id: str) -> str:
    """Add `"event_id"` to a stored event JSON object (the same splice the Lua script does)."""
    return f'{body[:-1]},"event_id":"{event_id}"}}'


def score_events_keys(user_id: str) -> list[str]:
    """The keys score_events_record (lua/score_events.lua) takes, in its order."""
    return [keys.events_stream(), keys.user_events_stream(user_id), keys.board("all"),
            account_keys.users_names(), keys.top_published()]


def score_events_limits() -> list:
    """The limits score_events_record takes: Stream caps, the personal Stream's TTL, top N."""
    return [settings.EVENTS_STREAM_MAXLEN, settings.EVENTS_USER_STREAM_MAXLEN,
            settings.EVENTS_USER_STREAM_SECONDS, TOP_N]


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
    flat = _record(
        keys=score_events_keys(user_id),
        args=[
            *score_events_limits(), submission_id, user_id, username, score, total_score,
            "" if rank_before is None else rank_before, "" if rank_after is None else rank_after,
            "1" if top10_changed else "0",
        ],
    )
    return events_announce_recorded(user_id, flat)


def events_announce_recorded(user_id: str, flat: list[str]) -> dict[str, str]:
    """Announce what score_events_record recorded (its flat reply); return the event ids by name."""
    recorded = [flat[i:i + 4] for i in range(0, len(flat), 4)]
    groups = {"processed": keys.user_group(user_id), "entered.user": keys.user_group(user_id),
              "entered.board": keys.BOARD_GROUP, "top": keys.BOARD_GROUP}
    events_announce([
        (groups[tag], {"type": FEED_EVENT, "event_id": event_id, "after": after, "text": text})
        for tag, event_id, after, text in recorded
    ])
    names = {"processed": "submission.processed", "entered.user": "entered_top10.user",
             "entered.board": "entered_top10.board", "top": "top10_changed"}
    return {names[tag]: event_id for tag, event_id, _, _ in recorded}


def events_announce(messages: list[tuple[str, dict]]) -> None:
    """Announce (group, message) pairs to their channel-layer groups, in order, without waiting.

    The events are already in their Streams, so the score job need not wait for the round
    trip (bench.worker_throughput, score job vs no-op job: 0.66-0.68x waiting, 0.73-0.74x not
    waiting, the former in-script PUBLISH 0.72-0.79x, at the same hour); a socket that misses
    an announcement (a lost connection) finds the event at its next one or on reconnect.
    """
    group_send_sync(messages, wait=False)
