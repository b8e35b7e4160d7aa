"""The Procfile's worker with a test hook, run as a real process: `python -m tests.faults.hooked_worker`.

It is the Procfile's `manage.py rqworker --worker-class config.jobs.worker.ResilientSimpleWorker
--with-scheduler scores`, with two test-only changes:

- A pause hook around the score script. A test sets PAUSE_NEXT to "before" or "after"; the next
  score job to start takes that request (GETDEL, so exactly one job pauses, and never its retry),
  pushes its submission id on PAUSED and waits until RELEASE exists. A test kills or signals the
  worker while it waits there: before the score script (nothing applied yet) or after it (the
  score applied, its events not yet sent). "outage" waits after the score script until Redis
  stops answering, so the rest of the job meets the outage.
- FastRecoveryWorker: the lease on a running job (config.jobs.worker holds it for the job timeout
  + 10 s) and the maintenance interval (10 s) shortened to a second. RQ's own code still finds
  the abandoned job, runs the failure callback and retries it; only its clocks are faster, so a
  test needs no half-minute waits (tests/faults/test_scoring_pipeline.py runs the real clocks). `--worker-ttl 16` makes the worker's blocking dequeue
  wake every second, which is when maintenance gets its chance to run.

tests/quizzes/stalling_worker.py stalls for good after the score script in a burst worker (one
kill, then a manual registry cleanup); this one pauses on request in either place, resumes
on release and runs RQ's recovery for real, which the repeated kill/terminate tests need.
"""
from __future__ import annotations

import os
import sys
import time

from config.jobs.worker import ResilientSimpleWorker

PAUSE_NEXT = "test:faults:pause-next"  # "before" or "after": where the next score job waits
PAUSED = "test:faults:paused"  # list of submission ids whose job reached the pause
RELEASE = "test:faults:release"  # exists: paused jobs go on
LEASE_SECONDS = 1
MAINTENANCE_SECONDS = 1
WORKER_TTL = 16  # RQ dequeues with a timeout of worker_ttl - 15 s: wake up every second
POLL_SECONDS = 0.02


class FastRecoveryWorker(ResilientSimpleWorker):
    """The Procfile's worker class with a short job lease and frequent maintenance."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs["maintenance_interval"] = MAINTENANCE_SECONDS
        super().__init__(*args, **kwargs)

    def get_heartbeat_ttl(self, job) -> int:
        return LEASE_SECONDS


def _wait_for_release(client, submission_id: str, *, until_outage: bool = False) -> None:
    import redis.exceptions

    client.rpush(PAUSED, submission_id)
    while True:
        try:
            if client.exists(RELEASE):
                return
        except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError):
            if until_outage:
                return
            # Redis restarting under the test: keep waiting for the release
        time.sleep(POLL_SECONDS)


def _hooked(score):
    """Wrap the score step so the job can pause right before or right after it."""

    def submission_score(**kwargs):
        from config.redis.clients import redis_client

        client = redis_client()
        where = client.getdel(PAUSE_NEXT)
        if where == "before":
            _wait_for_release(client, kwargs["submission_id"])
        applied = score(**kwargs)
        if where in ("after", "outage"):
            _wait_for_release(client, kwargs["submission_id"], until_outage=where == "outage")
        return applied

    return submission_score


def main(argv: list[str]) -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()
    from django.core.management import call_command

    from quizzes import scoring

    scoring.submission_score = _hooked(scoring.submission_score)
    call_command(
        "rqworker", "--worker-class", "tests.faults.hooked_worker.FastRecoveryWorker",
        "--worker-ttl", str(WORKER_TTL), "--with-scheduler", *argv,
    )


if __name__ == "__main__":
    main(sys.argv[1:] or ["scores"])
