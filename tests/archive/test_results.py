"""Quiz results: the same answer from the SQL aggregate as from Redis, on the same data."""
from __future__ import annotations

import pytest

from quizzes import selectors

from .conftest import RIGHT, quiz_body, submit

pytestmark = pytest.mark.postgres


def test_results_from_sql_equal_results_from_redis(archive, admin_client, quiz, player, run_worker, drain, settings):
    answers = [RIGHT, [1, 1, 0], [0, 0, 0], RIGHT, [1, 0, 1], [0, 1, 1], [1, 1, 1]]
    for i, mine in enumerate(answers):
        _, client = player()
        submit(client, quiz["id"], mine)
        submit(client, quiz["id"], answers[(i + 3) % len(answers)])
    run_worker()
    basis = selectors.quiz_results_basis(quiz_id=quiz["id"])
    args = dict(quiz_id=quiz["id"], version=basis.version, max_score=basis.max_score, question_count=basis.question_count)
    settings.ARCHIVE_ENABLED = False
    settings.RESULTS_REDIS_CHUNK = 3  # several chunks, one partial
    from_redis = selectors.results_compute(**args)
    settings.ARCHIVE_ENABLED = True
    drain()
    from_sql = selectors.results_compute(**args)
    assert from_redis["attempts"] == 14 and len(from_redis["top"]) == 7
    assert from_sql == from_redis


def test_results_over_http_come_from_sql_and_are_cached(archive, admin_client, quiz, player, run_worker, drain):
    _, client = player()
    submit(client, quiz["id"], RIGHT)
    run_worker()
    drain()
    first = client.get(f"/api/v1/quizzes/{quiz['id']}/results")
    again = client.get(f"/api/v1/quizzes/{quiz['id']}/results")
    assert (first["X-Cache"], again["X-Cache"]) == ("MISS", "HIT")
    assert first.json()["attempts"] == 1 and first.json()["top"][0]["score"] == 35
    admin_client.put(f"/api/v1/quizzes/{quiz['id']}", quiz_body(title="New"), format="json")
    fresh = client.get(f"/api/v1/quizzes/{quiz['id']}/results")
    assert fresh["X-Cache"] == "MISS" and fresh.json()["attempts"] == 0 and fresh.json()["version"] == 2
