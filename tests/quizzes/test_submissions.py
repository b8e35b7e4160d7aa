"""Accepting submissions: validation, the RQ job, idempotency, ownership, cost, rate limit."""
from __future__ import annotations

import pytest
from rq.job import Job

from quizzes import keys, services
from ratelimit.throttles import SubmissionRateThrottle
from tests.quizzes.conftest import RIGHT, submit


def test_accept_answers_202_and_enqueues_one_job(quiz, player, redis, score_queue):
    user, client = player()
    resp = submit(client, quiz["id"], RIGHT)
    assert resp.status_code == 202
    body = resp.json()
    assert body["status"] == "queued"
    assert body["status_url"] == f"/api/v1/submissions/{body['id']}"
    assert score_queue.job_ids == [body["id"]]
    stored = redis.hgetall(keys.submission(body["id"]))
    assert stored["user_id"] == user["id"] and stored["quiz_id"] == quiz["id"]
    assert stored["quiz_version"] == "1" and stored["answers"] == "0,1,0" and stored["status"] == "queued"


def test_the_job_is_a_genuine_rq_job(quiz, player, score_queue):
    """The Lua-written job reads back through RQ exactly like one RQ enqueued itself."""
    user, client = player()
    submission_id = submit(client, quiz["id"], RIGHT).json()["id"]
    job = Job.fetch(submission_id, connection=score_queue.connection)
    assert job.func_name == services.SCORE_JOB
    assert job.kwargs == {"submission_id": submission_id, "quiz_id": quiz["id"], "user_id": user["id"]}
    assert job.get_status() == "queued" and job.origin == score_queue.name
    assert job.enqueued_at is not None and job.timeout == 10  # SCORE_JOB_TIMEOUT_SECONDS
    assert job.retries_left == 3 and job.retry_intervals == [2, 10, 30]
    assert job.failure_callback.__name__ == "submission_score_failed"
    assert job.func.__name__ == "submission_score"
    assert score_queue.key.encode() in score_queue.connection.smembers("rq:queues")


def test_status_is_visible_to_its_owner(quiz, player):
    _, client = player()
    submission_id = submit(client, quiz["id"], RIGHT).json()["id"]
    body = client.get(f"/api/v1/submissions/{submission_id}").json()
    assert body["id"] == submission_id and body["quiz_id"] == quiz["id"] and body["status"] == "queued"
    assert body["score"] is None and body["max_score"] is None and body["processed_at"] is None


def test_another_users_submission_is_404(quiz, player):
    _, alice = player("alice")
    _, bob = player("bob")
    submission_id = submit(alice, quiz["id"], RIGHT).json()["id"]
    resp = bob.get(f"/api/v1/submissions/{submission_id}")
    assert resp.status_code == 404
    assert resp.json()["error"]["code"] == "not_found"
    # Same answer as for an id that does not exist: nothing tells Bob it is there.
    assert bob.get("/api/v1/submissions/" + "0" * 32).json() == resp.json()


def test_answers_must_fit_the_current_quiz(quiz, player, redis, score_queue):
    _, client = player()
    for answers, where in (([0, 1], "answers"), ([0, 1, 0, 1], "answers"), ([0, 3, 0], "1"), ([2, 0, 0], "0")):
        resp = submit(client, quiz["id"], answers)
        assert resp.status_code == 400, answers
        assert resp.json()["error"]["code"] == "invalid"
        fields = resp.json()["error"]["details"]["fields"]["answers"]
        assert where == "answers" or where in fields
    for bad in ({"answers": []}, {"answers": [-1, 0, 0]}, {"answers": ["x"]}, {"answer": [0]}, {}):
        resp = client.post(f"/api/v1/quizzes/{quiz['id']}/submissions", bad, format="json")
        assert resp.status_code == 400, bad
    assert score_queue.count == 0 and not redis.keys(keys.submission("*"))


def test_validation_follows_quiz_updates(quiz, admin_client, player):
    _, client = player()
    two_choices = {"text": "Q?", "choices": ["a", "b"], "answer": 1, "points": 3}
    admin_client.patch(f"/api/v1/quizzes/{quiz['id']}", {"questions": [two_choices]}, format="json")
    assert submit(client, quiz["id"], RIGHT).status_code == 400
    assert submit(client, quiz["id"], [1]).status_code == 202


def test_unknown_quiz_is_404(player, admin_client, quiz):
    _, client = player()
    assert submit(client, "0123456789abcdef", [0]).status_code == 404
    admin_client.delete(f"/api/v1/quizzes/{quiz['id']}")
    assert submit(client, quiz["id"], RIGHT).status_code == 404


def test_idempotent_replay_returns_the_first_submission(quiz, player, redis, score_queue):
    _, client = player()
    first = submit(client, quiz["id"], RIGHT, HTTP_IDEMPOTENCY_KEY="k-1")
    again = submit(client, quiz["id"], RIGHT, HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == again.status_code == 202
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true" and not first.has_header("Idempotent-Replayed")
    assert score_queue.count == 1 and len(redis.keys(keys.submission("*"))) == 1


def test_same_key_other_body_is_422(quiz, player, admin_client):
    _, client = player()
    submit(client, quiz["id"], RIGHT, HTTP_IDEMPOTENCY_KEY="k-1")
    resp = submit(client, quiz["id"], [1, 1, 1], HTTP_IDEMPOTENCY_KEY="k-1")
    assert resp.status_code == 422
    assert resp.json()["error"]["code"] == "idempotency_mismatch"
    other_quiz = admin_client.post("/api/v1/quizzes", {"title": "T", "questions": [
        {"text": "Q", "choices": ["a", "b", "c"], "answer": 0, "points": 1}] * 3}, format="json").json()
    assert submit(client, other_quiz["id"], RIGHT, HTTP_IDEMPOTENCY_KEY="k-1").status_code == 422


def test_idempotency_keys_are_per_user_and_kept_a_day(quiz, player, redis):
    alice, alice_client = player("alice")
    _, bob_client = player("bob")
    a = submit(alice_client, quiz["id"], RIGHT, HTTP_IDEMPOTENCY_KEY="shared").json()
    b = submit(bob_client, quiz["id"], RIGHT, HTTP_IDEMPOTENCY_KEY="shared").json()
    assert a["id"] != b["id"]  # Bob never gets Alice's submission back
    ttl = redis.ttl(keys.idempotency(alice["id"], "shared"))
    assert 86_390 <= ttl <= 86_400
    assert "shared" not in " ".join(redis.keys("*"))  # only its digest names the key


def test_without_a_key_every_post_is_new(quiz, player, score_queue):
    _, client = player()
    ids = {submit(client, quiz["id"], RIGHT).json()["id"] for _ in range(3)}
    assert len(ids) == 3 and score_queue.count == 3


def test_malformed_idempotency_key_is_400(quiz, player):
    _, client = player()
    for key in ("", "x" * 256, "tab\there"):
        resp = submit(client, quiz["id"], RIGHT, HTTP_IDEMPOTENCY_KEY=key)
        assert resp.status_code == 400, repr(key)


def test_accepting_costs_at_most_three_round_trips(quiz, player, roundtrips):
    _, client = player()
    submit(client, quiz["id"], RIGHT, HTTP_IDEMPOTENCY_KEY="warm-up")  # loads the scripts once
    roundtrips.reset()
    assert submit(client, quiz["id"], [1, 1, 1], HTTP_IDEMPOTENCY_KEY="k-2").status_code == 202
    # authentication (1 script) + rate limiter (1 script) + accept (1 script)
    assert roundtrips.count <= 3, roundtrips.count


def test_the_accept_step_itself_is_one_round_trip(quiz, player, roundtrips):
    user, _ = player()
    services.submission_create(user_id=user["id"], quiz_id=quiz["id"], answers=RIGHT)
    roundtrips.reset()
    services.submission_create(user_id=user["id"], quiz_id=quiz["id"], answers=RIGHT, idempotency_key="k")
    assert roundtrips.count == 1


def test_submissions_are_rate_limited_per_user(quiz, player, settings):
    settings.RATELIMIT_SUBMISSIONS_RATE = "5/60s"
    _, client = player()
    statuses = [submit(client, quiz["id"], RIGHT).status_code for _ in range(6)]
    assert statuses == [202] * 5 + [429]
    _, other = player()
    assert submit(other, quiz["id"], RIGHT).status_code == 202


@pytest.mark.parametrize("algorithm", ["sliding", "fixed"])
def test_an_idempotent_retry_over_the_limit_gets_its_first_answer(
    quiz, player, settings, redis, score_queue, algorithm, monkeypatch
):
    """The 202 of the fifth submission is lost; its retry must get that answer, not a 429 (API.md)."""
    # One instant at the start of a window: a clock-aligned fixed window must not roll over mid-test.
    monkeypatch.setattr(SubmissionRateThrottle, "timer", staticmethod(lambda: 1_800_000_000_000))
    settings.RATELIMIT_SUBMISSIONS_RATE = "5/60s"
    settings.RATELIMIT_SUBMISSIONS_ALGORITHM = algorithm
    user, client = player()
    firsts = [submit(client, quiz["id"], RIGHT, HTTP_IDEMPOTENCY_KEY=f"k{i}") for i in range(5)]
    assert [r.status_code for r in firsts] == [202] * 5
    retry = submit(client, quiz["id"], RIGHT, HTTP_IDEMPOTENCY_KEY="k4")
    assert (retry.status_code, retry.json()["id"]) == (202, firsts[4].json()["id"])
    assert retry["Idempotent-Replayed"] == "true" and "Retry-After" not in retry
    # Anything new over the limit is still refused, and writes nothing.
    refused = submit(client, quiz["id"], RIGHT, HTTP_IDEMPOTENCY_KEY="k5")
    assert refused.status_code == 429 and int(refused["Retry-After"]) >= 1
    assert refused.json()["error"]["code"] == "rate_limited" and refused["RateLimit-Remaining"] == "0"
    assert not redis.exists(keys.idempotency(user["id"], "k5"))
    assert len(score_queue.job_ids) == 5
    assert submit(client, quiz["id"], [1, 1, 1], HTTP_IDEMPOTENCY_KEY="k4").status_code == 422


def test_replays_use_no_quota(quiz, player, settings):
    settings.RATELIMIT_SUBMISSIONS_RATE = "5/60s"
    _, client = player()
    first = submit(client, quiz["id"], RIGHT, HTTP_IDEMPOTENCY_KEY="same")
    replays = [submit(client, quiz["id"], RIGHT, HTTP_IDEMPOTENCY_KEY="same") for _ in range(6)]
    assert {(r.status_code, r.json()["id"]) for r in replays} == {(202, first.json()["id"])}
    assert replays[-1]["RateLimit-Remaining"] == "4"  # only the first took a slot
    statuses = [submit(client, quiz["id"], RIGHT).status_code for _ in range(5)]
    assert statuses == [202] * 4 + [429]
