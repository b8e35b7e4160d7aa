"""The relay's handler for `submission.accepted` outbox entries: enqueue the score job on the queue role.

The accept script cannot reach another Redis, so with the queue on its own server it records
the job in the data store's outbox (same atomic step as the submission) and this handler,
run by `manage.py outbox_relay`, writes the RQ job where the worker reads it. The job id is
the submission id, and the enqueue script skips a job that exists, so handling an entry twice
enqueues once; even a job run twice scores once (score_apply.lua's applied marker).
"""
from __future__ import annotations

from pathlib import Path

from django.conf import settings

from config.redis.clients import role_client
from config.redis.lua import LuaScript
from config.redis.replication import acknowledged, replicas_required
from quizzes.services import score_job_fields
from config.jobs import keys as rq_keys

_enqueue = LuaScript(Path(__file__).parent / "lua" / "score_job_enqueue.lua")


def submission_accepted(data: dict, entry_id: str) -> None:
    """Enqueue the submission's score job on the queue role, waiting for its replicas when required."""
    job = {"submission_id": data["submission_id"], "quiz_id": data["quiz_id"], "user_id": data["user_id"]}
    script_keys = [rq_keys.rq_job(job["submission_id"]), rq_keys.rq_queue(settings.SCORE_QUEUE), rq_keys.rq_queues()]
    args = [job["submission_id"], *score_job_fields(**job)]
    client = role_client("queue")
    if replicas_required():
        # The entry is acknowledged only after this returns: short of replicas it stays pending.
        acknowledged(client, lambda pipe: _enqueue(keys=script_keys, args=args, client=pipe))
    else:
        _enqueue(keys=script_keys, args=args, client=client)
