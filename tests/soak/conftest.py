"""Fixtures for the soak tests (shared with the quizzes tests)."""
from tests.quizzes.conftest import score_queue  # noqa: F401
