"""Fixtures for the PostgreSQL archive: the archive switched on, users, a quiz, scoring, draining."""
from __future__ import annotations

import pytest

from tests.quizzes.conftest import (  # noqa: F401  (shared fixtures of the quizzes tests)
    RIGHT, _generous_submission_limit, admin_client, player, quiz, quiz_body, run_worker, submit,
)


@pytest.fixture
def archive(settings, transactional_db):
    """The archive on (as with DATABASE_URL set), on the session's disposable PostgreSQL."""
    settings.ARCHIVE_ENABLED = True
    yield


@pytest.fixture
def drain():
    """Archive everything in the outbox now; returns how many entries."""
    from config.outbox.archiver import archive_drain

    return archive_drain
