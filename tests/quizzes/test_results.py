"""Quiz results: the aggregate, cache-aside HIT/MISS, race-safe invalidation, stampedes."""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core.cache import cache as django_cache

from quizzes import keys, results, selectors, services
from tests.quizzes.conftest import RIGHT, submit


def _results(client, quiz_id: str):
    resp = client.get(f"/api/v1/quizzes/{quiz_id}/results")
    assert resp.status_code == 200, resp.content
    return resp.json(), resp["X-Cache"]


@pytest.fixture
def computations(monkeypatch) -> list[int]:
    """Record every expensive computation (the version it was computed for)."""
    calls: list[int] = []
    real = selectors.results_compute

    def counted(**kwargs):
        calls.append(kwargs["version"])
        return real(**kwargs)

    monkeypatch.setattr(selectors, "results_compute", counted)
    return calls


def test_results_aggregate_processed_submissions(quiz, player, run_worker):
    alice, alice_client = player("alice")
    bob, bob_client = player("bob")
    submit(alice_client, quiz["id"], [0, 2, 1])  # 10
    submit(alice_client, quiz["id"], RIGHT)  # 35
    submit(bob_client, quiz["id"], [0, 1, 1])  # 30
    run_worker()
    submit(bob_client, quiz["id"], RIGHT)  # still queued: not in the results
    body, cache = _results(alice_client, quiz["id"])
    assert cache == "MISS"
    assert (body["quiz_id"], body["version"], body["attempts"], body["unique_users"]) == (quiz["id"], 1, 3, 2)
    assert body["average_score"] == 25.0
    assert sum(b["count"] for b in body["score_histogram"]) == 3
    assert body["score_histogram"][0] == {"min": 0, "max": 3, "count": 0}
    assert body["score_histogram"][-1] == {"min": 32, "max": 35, "count": 1}
    assert [q["correct_rate"] for q in body["per_question"]] == [1.0, round(2 / 3, 4), round(1 / 3, 4)]
    assert body["top"] == [
        {"user_id": alice["id"], "username": "alice", "score": 35},
        {"user_id": bob["id"], "username": "bob", "score": 30},
    ]


def test_empty_results(quiz, player):
    _, client = player()
    body, _ = _results(client, quiz["id"])
    assert (body["attempts"], body["unique_users"], body["average_score"], body["top"]) == (0, 0, 0.0, [])
    assert [q["correct_rate"] for q in body["per_question"]] == [0.0, 0.0, 0.0]


def test_second_read_is_a_hit_for_60_seconds(quiz, player, redis, computations):
    _, client = player()
    first, cache = _results(client, quiz["id"])
    assert cache == "MISS"
    again, cache = _results(client, quiz["id"])
    assert cache == "HIT" and again == first
    assert computations == [1]
    assert 55 <= django_cache.ttl(keys.quiz_results(quiz["id"], 1)) <= 60
    assert not django_cache.has_key(keys.quiz_results_lease(quiz["id"], 1))


def test_new_submissions_show_once_the_entry_expires(quiz, player, run_worker, redis):
    """The documented staleness rule: scoring does not invalidate; the 60 s TTL bounds it."""
    _, client = player()
    assert _results(client, quiz["id"])[0]["attempts"] == 0
    submit(client, quiz["id"], RIGHT)
    run_worker()
    assert _results(client, quiz["id"])[0]["attempts"] == 0  # cached, at most 60 s old
    django_cache.delete(keys.quiz_results(quiz["id"], 1))  # what the TTL does when it runs out
    body, cache = _results(client, quiz["id"])
    assert cache == "MISS" and body["attempts"] == 1


def test_update_invalidates_and_old_version_is_never_served(quiz, admin_client, player):
    _, client = player()
    _results(client, quiz["id"])
    admin_client.patch(f"/api/v1/quizzes/{quiz['id']}", {"title": "Capitals II"}, format="json")
    body, cache = _results(client, quiz["id"])
    assert cache == "MISS" and body["version"] == 2
    assert _results(client, quiz["id"])[1] == "HIT"


def test_results_count_only_the_current_version(quiz, admin_client, player, run_worker):
    _, client = player()
    submit(client, quiz["id"], RIGHT)
    run_worker()
    admin_client.patch(f"/api/v1/quizzes/{quiz['id']}", {"title": "v2"}, format="json")
    assert _results(client, quiz["id"])[0]["attempts"] == 0


def test_deleted_quiz_has_no_results(quiz, admin_client, player):
    _, client = player()
    _results(client, quiz["id"])
    admin_client.delete(f"/api/v1/quizzes/{quiz['id']}")
    assert client.get(f"/api/v1/quizzes/{quiz['id']}/results").status_code == 404


def test_a_slow_reader_cannot_store_a_stale_result_after_an_update(quiz, admin_client, player, monkeypatch, redis):
    _, client = player()
    computing, release = threading.Event(), threading.Event()
    real = selectors.results_compute

    def slow(**kwargs):
        body = real(**kwargs)  # the old version's results...
        computing.set()
        release.wait(10)  # ...held until the update below has happened
        return body

    monkeypatch.setattr(selectors, "results_compute", slow)
    with ThreadPoolExecutor(1) as pool:
        reader = pool.submit(results.results_fetch, quiz_id=quiz["id"])
        assert computing.wait(10)
        update = admin_client.patch(f"/api/v1/quizzes/{quiz['id']}", {"title": "v2"}, format="json")
        assert update.json()["version"] == 2
        monkeypatch.setattr(selectors, "results_compute", real)
        release.set()
        assert reader.result(10).body["version"] == 1  # what that reader saw, returned to it only
    assert django_cache.get(keys.quiz_results(quiz["id"], 2)) is None  # ...and never stored as current
    body, cache = _results(client, quiz["id"])
    assert cache == "MISS" and body["version"] == 2


def test_an_old_version_stored_after_a_version_change_is_never_served(quiz, admin_client, player):
    _, client = player()
    old = results.results_fetch(quiz_id=quiz["id"]).body
    admin_client.patch(f"/api/v1/quizzes/{quiz['id']}", {"title": "v2"}, format="json")
    results.results_store(quiz_id=quiz["id"], body=old)  # a late store of version 1
    body, cache = _results(client, quiz["id"])
    assert cache == "MISS" and body["version"] == 2
    assert _results(client, quiz["id"]) == (body, "HIT")


def test_concurrent_misses_compute_once(quiz, player, auth_client, monkeypatch, computations):
    readers = 8
    user, _ = player()
    waiting: set[int] = set()
    all_waiting = threading.Event()
    real_compute, real_wait = selectors.results_compute, results.wait_for_lease_holder

    def compute_when_all_wait(**kwargs):
        assert all_waiting.wait(10)  # hold the lease until every other reader is waiting on it
        return real_compute(**kwargs)

    def wait(*args):
        waiting.add(threading.get_ident())
        if len(waiting) == readers - 1:
            all_waiting.set()
        real_wait()

    monkeypatch.setattr(selectors, "results_compute", compute_when_all_wait)
    monkeypatch.setattr(results, "wait_for_lease_holder", wait)

    def read(_):
        resp = auth_client(user["token"]).get(f"/api/v1/quizzes/{quiz['id']}/results")
        return resp.status_code, resp["X-Cache"], resp.json()["version"]

    with ThreadPoolExecutor(readers) as pool:
        answers = list(pool.map(read, range(readers)))
    assert sorted(cache for _, cache, _ in answers) == ["HIT"] * (readers - 1) + ["MISS"]
    assert {(status, version) for status, _, version in answers} == {(200, 1)}
    assert len(waiting) == readers - 1 and computations == [1]


def test_waiters_compute_themselves_when_the_lease_holder_vanishes(quiz, player, redis, settings, computations):
    settings.RESULTS_WAIT_SECONDS = 0  # don't wait for a holder that will never store
    django_cache.set(keys.quiz_results_lease(quiz["id"], 1), "crashed-reader", 60)
    _, client = player()
    body, cache = _results(client, quiz["id"])
    assert cache == "MISS" and body["version"] == 1 and computations == [1]
    assert django_cache.get(keys.quiz_results(quiz["id"], 1)) is None  # only the lease holder stores


def test_results_need_a_known_quiz(player):
    _, client = player()
    assert client.get("/api/v1/quizzes/0123456789abcdef/results").status_code == 404


def test_service_level_fetch_reports_hit_and_miss(quiz):
    assert results.results_fetch(quiz_id=quiz["id"]).cache == results.MISS
    assert results.results_fetch(quiz_id=quiz["id"]).cache == results.HIT
    services.quiz_update(quiz_id=quiz["id"], changes={"title": "x"}, partial=True)
    assert results.results_fetch(quiz_id=quiz["id"]).cache == results.MISS
