"""Accounts fixtures: the quizzes app's admin, quiz, players and real burst worker, for moderation."""
from tests.quizzes.conftest import (  # noqa: F401  (pytest fixtures, shared)
    _generous_submission_limit,
    admin_client,
    live_worker,
    player,
    quiz,
    run_worker,
)

