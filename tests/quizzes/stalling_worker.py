"""A real worker process that stalls right after the score script, so a test can kill it there.

Run as `python -m tests.quizzes.stalling_worker`: the Procfile's worker (SimpleWorker, burst),
except that announcing the score's events is replaced by writing a marker and hanging.
"""
import os
import time

MARKER = "test:stalled-after-scoring"


def _stall(**event) -> None:
    from config.redis import redis_client

    redis_client().set(MARKER, event["submission_id"])
    time.sleep(3600)


if __name__ == "__main__":
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()
    from django.core.management import call_command

    from quizzes import tasks

    tasks.score_events_publish = _stall
    call_command("rqworker", "--burst", "--worker-class", "rq.worker.SimpleWorker", "scores")
