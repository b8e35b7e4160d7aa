"""A real worker process that stalls right after the score script, so a test can kill it there.

Run as `python -m tests.quizzes.stalling_worker`: the Procfile's worker (SimpleWorker, burst),
except that announcing the score's events is replaced by writing a marker and hanging.
"""
import json
import os
import time

MARKER = "test:stalled-after-scoring"


def _stall(user_id: str, recorded: list[str]) -> None:
    from config.redis.clients import redis_client

    redis_client().set(MARKER, json.loads(recorded[3])["submission_id"])  # the processed event
    time.sleep(3600)


if __name__ == "__main__":
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()
    from django.core.management import call_command

    from quizzes import tasks

    tasks.events_announce_recorded = _stall
    call_command("rqworker", "--burst", "--worker-class", "rq.worker.SimpleWorker", "scores")
