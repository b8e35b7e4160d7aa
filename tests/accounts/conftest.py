"""Accounts fixtures: the quizzes app's admin, quiz, players and real burst worker, for moderation."""
from tests.quizzes.conftest import (  # noqa: F401  (pytest fixtures, shared)
    _generous_submission_limit,
    admin_client,
    player,
    quiz,
    run_worker,
)


import pytest  # noqa: E402
from django.conf import settings as django_settings  # noqa: E402


@pytest.fixture
def live_worker(redis):
    """One real worker process (the Procfile's class) on the score queue, for races in a loop."""
    from tests.faults.processes import WorkerProcess, wait_until

    worker = WorkerProcess(queues=(django_settings.SCORE_QUEUE,)).start()
    try:
        wait_until(lambda: redis.exists(worker.key), timeout=60, what="the worker to register")
        yield worker
    finally:
        worker.stop()
