"""The outbox: the accept script's entry on the data Redis, the relay moving score jobs to the queue Redis."""
from __future__ import annotations

import json

import pytest
from django.core.management import call_command
from rq import Queue, SimpleWorker
from rq.job import Job

from config.redis.keys import outbox_stream
from config.outbox.reader import OutboxReader
from quizzes import keys
from quizzes.relay import submission_accepted
from tests.quizzes.conftest import RIGHT, submit
from config.jobs import keys as rq_keys


def _relay_once() -> None:
    call_command("outbox_relay", "--once")


def test_with_the_queue_on_its_own_redis_a_submission_is_relayed_and_scored(quiz, player, redis, queue_redis, settings):
    user, client = player()
    resp = submit(client, quiz["id"], RIGHT)
    assert resp.status_code == 202
    sid = resp.json()["id"]
    # The accept script wrote the submission and an outbox entry, and no RQ job, on the data Redis.
    assert redis.hget(keys.submission(sid), "status") == "queued"
    entries = redis.xrange(outbox_stream())
    assert [(e[1]["type"], json.loads(e[1]["data"])) for e in entries] == [
        ("submission.accepted", {"submission_id": sid, "quiz_id": quiz["id"], "user_id": user["id"]})
    ]
    assert not redis.exists(rq_keys.rq_job(sid), rq_keys.rq_queue(settings.SCORE_QUEUE))

    _relay_once()
    assert queue_redis.lrange(rq_keys.rq_queue(settings.SCORE_QUEUE), 0, -1) == [sid]
    assert Job.fetch(sid, connection=_queue_conn(settings)).func_name == "quizzes.tasks.submission_score"

    queue = Queue(settings.SCORE_QUEUE, connection=_queue_conn(settings))
    SimpleWorker([queue], connection=queue.connection).work(burst=True)
    assert redis.hget(keys.submission(sid), "status") == "processed"
    assert client.get("/api/v1/me").json()["total_score"] == 35


def _queue_conn(settings):
    from config.redis.clients import role_client

    return role_client("queue")


def test_an_entry_relayed_twice_enqueues_its_job_once(quiz, player, redis, queue_redis, settings):
    _, client = player()
    sid = submit(client, quiz["id"], RIGHT).json()["id"]
    data = json.loads(redis.xrange(outbox_stream())[0][1]["data"])
    submission_accepted(data, "1-0")
    submission_accepted(data, "1-0")  # a relay that died before its XACK, taken over by another
    assert queue_redis.lrange(rq_keys.rq_queue(settings.SCORE_QUEUE), 0, -1) == [sid]


def test_a_relay_that_died_before_acknowledging_is_taken_over(redis):
    handled = []
    redis.xgroup_create(outbox_stream(), "relay", id="0", mkstream=True)
    redis.xadd(outbox_stream(), {"type": "submission.accepted", "data": json.dumps({"n": 1})})
    # A consumer reads the entry and dies: it stays pending under that consumer's name.
    assert redis.xreadgroup("relay", "dead-relay", {outbox_stream(): ">"}, count=10)
    reader = OutboxReader(client=redis, group="relay", consumer="live-relay", claim_idle_ms=0,
                          handlers={"submission.accepted": lambda data, entry_id: handled.append(data)})
    assert reader.run_once() == 1
    assert handled == [{"n": 1}]
    assert redis.xpending(outbox_stream(), "relay")["pending"] == 0


def test_a_failing_handler_leaves_its_entry_pending_and_it_is_retried(redis):
    calls = []

    def flaky(data, entry_id):
        calls.append(entry_id)
        if len(calls) == 1:
            raise ConnectionError("queue Redis away")

    redis.xadd(outbox_stream(), {"type": "submission.accepted", "data": "{}"})
    reader = OutboxReader(client=redis, group="relay", handlers={"submission.accepted": flaky})
    with pytest.raises(ConnectionError):
        reader.run_once()
    assert redis.xpending(outbox_stream(), "relay")["pending"] == 1
    assert reader.run_once() == 1
    assert len(calls) == 2 and calls[0] == calls[1]
    assert redis.xpending(outbox_stream(), "relay")["pending"] == 0


def test_every_group_reads_every_entry_and_skips_types_it_has_no_handler_for(redis, settings):
    settings.OUTBOX_GROUPS = ["relay", "archive"]
    seen: dict[str, list] = {"relay": [], "archive": []}
    redis.xadd(outbox_stream(), {"type": "submission.accepted", "data": json.dumps({"a": 1})})
    redis.xadd(outbox_stream(), {"type": "score.applied", "data": json.dumps({"b": 2})})
    relay = OutboxReader(client=redis, group="relay",
                         handlers={"submission.accepted": lambda d, _: seen["relay"].append(d)})
    archive = OutboxReader(client=redis, group="archive",
                           handlers={"score.applied": lambda d, _: seen["archive"].append(d)})
    assert relay.run_once() == 2 and archive.run_once() == 2
    assert seen == {"relay": [{"a": 1}], "archive": [{"b": 2}]}
    for group in ("relay", "archive"):
        assert redis.xpending(outbox_stream(), group)["pending"] == 0


def test_entries_written_before_the_first_relay_started_are_relayed(redis):
    redis.xadd(outbox_stream(), {"type": "submission.accepted", "data": "{}"})  # no group exists yet
    handled = []
    reader = OutboxReader(client=redis, group="relay", handlers={"submission.accepted": lambda d, e: handled.append(e)})
    assert reader.run_once() == 1 and len(handled) == 1


def test_the_outbox_keeps_only_what_some_group_has_not_finished(redis, settings):
    settings.OUTBOX_GROUPS = ["relay", "archive"]
    for n in range(5):
        redis.xadd(outbox_stream(), {"type": "submission.accepted", "data": json.dumps({"n": n})})
    fast = OutboxReader(client=redis, group="relay", batch=10, handlers={"submission.accepted": lambda d, e: None})
    slow = OutboxReader(client=redis, group="archive", batch=2, handlers={})
    fast.run_once()
    assert fast.trim() == 0  # the archive group does not exist yet: every entry stays for it
    slow.ensure_group()
    assert fast.trim() == 0  # the archive group has read nothing: every entry stays
    slow.run_once()  # reads and acknowledges two
    fast.trim()
    assert [json.loads(f["data"])["n"] for _, f in redis.xrange(outbox_stream())] == [2, 3, 4]
    slow.run_once(), slow.run_once()
    fast.trim()
    assert redis.xrange(outbox_stream()) == []  # every group is done with every entry
