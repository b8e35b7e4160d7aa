"""Fixtures for the security tests: a shared live daphne, players, an admin, a quiz, a worker."""
from __future__ import annotations

import pytest

from tests.processes import DaphneServer
from tests.quizzes.conftest import admin_client, player, quiz, run_worker  # noqa: F401  (shared fixtures)


@pytest.fixture(scope="module")
def api_server():
    """One real daphne process for a whole module, with limits out of the fuzzer's way.

    The per-test `redis` fixture empties Redis between tests; the server keeps running.
    """
    server = DaphneServer(env={
        "RATELIMIT_AUTH_IP_RATE": "100000/m",
        "RATELIMIT_SUBMISSIONS_RATE": "100000/60s",
    }).start()
    yield server
    server.stop()
