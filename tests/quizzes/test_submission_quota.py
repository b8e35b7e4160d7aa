"""Quota for real attempts only, and replays that tell the submission's current status."""
from __future__ import annotations

import pytest

from tests.quizzes.conftest import MAX_SCORE, RIGHT, submit

# Each is answered 400 (wrong count, bad index, wrong type, bad shape) or 404 (missing quiz).
MALFORMED = [
    ("quiz", [0, 1]),
    ("quiz", [0, 1, 0, 0]),
    ("quiz", [0, 5, 0]),
    ("quiz", [0, 1, "x"]),
    ("quiz", [0, True, 0]),
    ("quiz", "not a list"),
    ("quiz", []),
    ("missing", RIGHT),
    ("quiz", [2, 1, 0]),
    ("missing", [0]),
]


@pytest.fixture
def limit_of_five(settings, request):
    settings.RATELIMIT_SUBMISSIONS_RATE = "5/60s"
    settings.RATELIMIT_SUBMISSIONS_ALGORITHM = request.param
    return request.param


def _post(client, quiz_id: str, answers, **headers):
    return client.post(f"/api/v1/quizzes/{quiz_id}/submissions", {"answers": answers}, format="json", **headers)


@pytest.mark.parametrize("limit_of_five", ["sliding", "fixed"], indirect=True)
def test_malformed_submissions_cost_no_quota(quiz, player, limit_of_five):
    _, client = player()
    rejected = []
    for target, answers in MALFORMED:
        quiz_id = quiz["id"] if target == "quiz" else "0123456789abcdef"
        rejected.append(_post(client, quiz_id, answers))
    assert [r.status_code for r in rejected] == [400] * 7 + [404, 400, 404]
    assert {r["RateLimit-Remaining"] for r in rejected} == {"5"}
    valid = [submit(client, quiz["id"], RIGHT).status_code for _ in range(6)]
    assert valid == [202] * 5 + [429]


@pytest.mark.parametrize("limit_of_five", ["sliding", "fixed"], indirect=True)
def test_a_body_that_is_not_json_costs_no_quota(quiz, player, limit_of_five):
    _, client = player()
    url = f"/api/v1/quizzes/{quiz['id']}/submissions"
    for body in ("{not json", "[1, 2"):
        assert client.post(url, body, content_type="application/json").status_code == 400
    assert client.post(url, "answers=1", content_type="text/plain").status_code == 415
    assert [submit(client, quiz["id"], RIGHT).status_code for _ in range(6)] == [202] * 5 + [429]


@pytest.mark.parametrize("limit_of_five", ["sliding", "fixed"], indirect=True)
def test_replays_and_mismatches_cost_no_quota_with_either_limiter(quiz, player, limit_of_five):
    _, client = player()
    first = submit(client, quiz["id"], RIGHT, HTTP_IDEMPOTENCY_KEY="k")
    assert first["RateLimit-Remaining"] == "4"
    replay = submit(client, quiz["id"], RIGHT, HTTP_IDEMPOTENCY_KEY="k")
    mismatch = submit(client, quiz["id"], [1, 1, 1], HTTP_IDEMPOTENCY_KEY="k")
    assert (replay.status_code, mismatch.status_code) == (202, 422)
    assert replay["RateLimit-Remaining"] == mismatch["RateLimit-Remaining"] == "4"
    assert [submit(client, quiz["id"], RIGHT).status_code for _ in range(5)] == [202] * 4 + [429]


def test_a_rejected_submission_costs_the_same_three_round_trips(quiz, player, roundtrips):
    _, client = player()
    submit(client, quiz["id"], RIGHT)  # loads the scripts once
    roundtrips.reset()
    assert submit(client, quiz["id"], [0, 9, 0]).status_code == 400
    # authentication + rate limiter + accept (which gives the slot back in its own step)
    assert roundtrips.count <= 3, roundtrips.count


def test_a_replay_after_scoring_says_processed_with_the_score(quiz, player, run_worker):
    _, client = player()
    first = submit(client, quiz["id"], RIGHT, HTTP_IDEMPOTENCY_KEY="once")
    assert first.json()["status"] == "queued"
    assert run_worker()
    replay = submit(client, quiz["id"], RIGHT, HTTP_IDEMPOTENCY_KEY="once")
    body = replay.json()
    assert replay.status_code == 202 and replay["Idempotent-Replayed"] == "true"
    assert body["id"] == first.json()["id"] and body["status_url"] == first.json()["status_url"]
    assert (body["status"], body["score"], body["max_score"], body["correct"]) == ("processed", MAX_SCORE, MAX_SCORE, 3)
    status = client.get(body["status_url"]).json()
    assert body["processed_at"] == status["processed_at"]


def test_a_malformed_retry_over_the_limit_still_carries_the_limit_headers(quiz, player, settings):
    settings.RATELIMIT_SUBMISSIONS_RATE = "1/60s"
    _, client = player()
    assert submit(client, quiz["id"], RIGHT, HTTP_IDEMPOTENCY_KEY="a").status_code == 202
    bad = submit(client, quiz["id"], ["x"], HTTP_IDEMPOTENCY_KEY="b")
    assert bad.status_code == 400
    assert bad["RateLimit-Remaining"] == "0" and bad["RateLimit-Limit"] == "1"
