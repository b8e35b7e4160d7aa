"""score_events_publish: Stream entries (replay), channel-layer group messages (live), entered-top-10 rule."""
from __future__ import annotations

import json

import pytest
import redis as redis_py
from channels.layers import get_channel_layer
from django.conf import settings as django_settings

from leaderboard import keys
from leaderboard.events import score_events_publish, with_event_id


def _publish(user, **overrides):
    args = dict(
        user_id=user["id"], username=user["username"], submission_id="s1", score=40, total_score=140,
        rank_before=None, rank_after=3, top10_changed=True,
    )
    args.update(overrides)
    return score_events_publish(**args)


def _stream(redis, key):
    return [(event_id, json.loads(fields["body"])) for event_id, fields in redis.xrange(key)]


@pytest.fixture
def listener():
    """Every channel-layer group message, as another process sees them (PSUBSCRIBE, raw bytes)."""
    prefix = django_settings.CHANNEL_LAYERS["default"]["CONFIG"]["prefix"]
    client = redis_py.Redis.from_url(django_settings.REDIS_URL)
    pubsub = client.pubsub()
    pubsub.psubscribe(f"{prefix}__group__*")
    yield pubsub
    pubsub.close()
    client.close()


def _live(pubsub):
    out = []
    while (message := pubsub.get_message(timeout=0.5)) is not None:
        if message["type"] != "pmessage":
            continue
        group = message["channel"].decode().split("__group__", 1)[1]
        event = get_channel_layer().deserialize(message["data"])
        assert event["type"] == "feed.event"
        out.append((group, event["event_id"], json.loads(event["text"])))
    return out


def test_entering_the_top10_records_and_publishes_every_event(redis, make_user, board, listener):
    leader, alice = make_user("leader"), make_user("alice")
    board(leader["id"], 500)
    board(alice["id"], 140)
    ids = _publish(alice)

    mine = _stream(redis, keys.user_events_stream(alice["id"]))
    assert [e["type"] for _, e in mine] == ["submission.processed", "leaderboard.entered_top10"]
    assert mine[0][1] == {"type": "submission.processed", "submission_id": "s1", "score": 40,
                          "total_score": 140, "rank": 3}
    shared = _stream(redis, keys.events_stream())
    assert [e["type"] for _, e in shared] == ["leaderboard.entered_top10", "leaderboard.top10_changed"]
    assert shared[0][1] == {"type": "leaderboard.entered_top10", "user_id": alice["id"],
                            "username": "alice", "rank": 3, "score": 140}
    entries = shared[1][1]["entries"]
    assert [(e["rank"], e["username"], e["score"]) for e in entries] == [(1, "leader", 500), (2, "alice", 140)]
    assert entries[1]["user_id"] == alice["id"]
    assert ids["top10_changed"] == shared[1][0]

    # Live copies: the same events, in Stream order, each carrying its Stream id as event_id.
    live = _live(listener)
    expected = [(f"user.{alice['id']}", event_id, {**body, "event_id": event_id}) for event_id, body in mine[:1]]
    assert live[0] == expected[0]
    assert [(t, e["type"]) for t, _, e in live] == [
        (f"user.{alice['id']}", "submission.processed"),
        (f"user.{alice['id']}", "leaderboard.entered_top10"),
        ("leaderboard", "leaderboard.entered_top10"),
        ("leaderboard", "leaderboard.top10_changed"),
    ]
    assert all(e["event_id"] == event_id for _, event_id, e in live)


@pytest.mark.parametrize(
    ("before", "after", "entered"),
    [(None, 10, True), (11, 10, True), (None, 11, False), (4, 2, False), (None, None, False)],
)
def test_entered_top10_only_when_crossing_into_it(redis, make_user, before, after, entered):
    alice = make_user("alice")
    ids = _publish(alice, rank_before=before, rank_after=after, top10_changed=False)
    assert ("entered_top10.board" in ids) is entered
    types = [e["type"] for _, e in _stream(redis, keys.events_stream())]
    assert ("leaderboard.entered_top10" in types) is entered


def test_top10_is_announced_when_a_score_in_it_changes_and_only_then(redis, make_user, board):
    leader, alice = make_user("leader"), make_user("alice")
    board(leader["id"], 500)
    board(alice["id"], 140)
    assert "top10_changed" in _publish(alice, rank_before=2, rank_after=2, top10_changed=False)
    # The same top 10 again (a repeat that improved nothing): no event.
    assert "top10_changed" not in _publish(alice, rank_before=2, rank_after=2, top10_changed=False)
    # alice gains points but stays second: nobody moved, yet the shown scores changed.
    board(alice["id"], 150)
    ids = _publish(alice, rank_before=2, rank_after=2, top10_changed=False)
    entries = json.loads(redis.xrange(keys.events_stream(), ids["top10_changed"], "+")[0][1]["body"])["entries"]
    assert [(e["username"], e["score"]) for e in entries] == [("leader", 500), ("alice", 150)]
    # Someone far below the top 10 scoring does not even read it.
    assert "top10_changed" not in _publish(alice, rank_before=40, rank_after=39, top10_changed=False)


def test_personal_stream_is_capped_and_expires(redis, settings, make_user):
    settings.EVENTS_USER_STREAM_MAXLEN = 5
    alice = make_user("alice")
    for i in range(300):
        _publish(alice, submission_id=f"s{i}", rank_after=None, top10_changed=False)
    key = keys.user_events_stream(alice["id"])
    assert redis.xlen(key) < 300  # approximate trimming keeps it near the cap
    assert 0 < redis.ttl(key) <= settings.EVENTS_USER_STREAM_SECONDS
    assert redis.xrevrange(key, count=1)[0][1]["body"].count('"s299"') == 1


def test_stored_event_gets_the_same_id_splice_as_the_live_one():
    assert json.loads(with_event_id('{"type":"x","n":1}', "5-0")) == {"type": "x", "n": 1, "event_id": "5-0"}
