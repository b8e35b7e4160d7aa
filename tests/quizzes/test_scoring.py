"""The score job called directly: grading, best attempt, boards, exactly-once, quiz versions."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from accounts import keys as account_keys
from leaderboard import keys as board_keys
from quizzes import keys, scoring, services, tasks
from tests.boards import board_points, board_seq, board_users
from tests.quizzes.conftest import RIGHT

# Injected, but near the real clock: period boards expire at real instants (EXPIREAT).
NOW = datetime.now(timezone.utc).replace(microsecond=0)


@pytest.fixture
def published(monkeypatch) -> list[list[dict]]:
    """Per applying run, the events its score script recorded and the job handed to the announcer."""
    calls: list[list[dict]] = []

    def announce(user_id: str, recorded: list[str]) -> None:
        calls.append([json.loads(recorded[i + 3]) for i in range(0, len(recorded), 4)])

    monkeypatch.setattr(tasks, "events_announce_recorded", announce)
    return calls


@pytest.fixture
def score(quiz):
    """Submit answers for a user and run the score job on them right away."""

    def _score(user: dict, answers: list[int], now: datetime = NOW, quiz_id: str | None = None):
        qid = quiz_id or quiz["id"]
        accepted = services.submission_create(user_id=user["id"], quiz_id=qid, answers=answers)
        applied = scoring.submission_score(submission_id=accepted.id, quiz_id=qid, user_id=user["id"], now=now)
        return accepted.id, applied

    return _score


def _profile(redis, user) -> dict:
    row = redis.hgetall(account_keys.user_profile(user["id"]))
    return {"total_score": int(row["total_score"]), "quizzes_solved": int(row["quizzes_solved"])}


def test_processed_submission_shows_score(quiz, player, score, redis):
    user, client = player()
    submission_id, applied = score(user, [0, 2, 0])
    assert applied.score == 15 and applied.total_score == 15
    body = client.get(f"/api/v1/submissions/{submission_id}").json()
    assert body["status"] == "processed"
    assert (body["score"], body["max_score"], body["correct"]) == (15, 35, 2)
    assert body["processed_at"] == NOW.isoformat().replace("+00:00", "Z")
    assert redis.hget(keys.submission(submission_id), "correct_mask") == "1,0,1"


def test_best_attempt_rule(quiz, player, score, redis):
    user, _ = player()
    score(user, [0, 2, 1])  # 10
    assert _profile(redis, user) == {"total_score": 10, "quizzes_solved": 1}
    score(user, [0, 1, 1])  # 30: only the improvement of 20 is added
    assert _profile(redis, user) == {"total_score": 30, "quizzes_solved": 1}
    score(user, [1, 2, 1])  # 0: a worse attempt changes nothing
    assert _profile(redis, user) == {"total_score": 30, "quizzes_solved": 1}
    assert redis.hget(keys.user_best(user["id"]), quiz["id"]) == "30"


def test_quizzes_solved_counts_distinct_quizzes(quiz, admin_client, player, score, redis):
    second = admin_client.post("/api/v1/quizzes", {"title": "Two", "questions": [
        {"text": "Q", "choices": ["a", "b"], "answer": 1, "points": 4}]}, format="json").json()
    user, _ = player()
    score(user, [1, 0, 1])  # a zero-point attempt still counts as attempted
    score(user, [1, 0, 1])
    score(user, [1], quiz_id=second["id"])
    assert _profile(redis, user) == {"total_score": 4, "quizzes_solved": 2}


def test_boards_hold_the_encoded_score(quiz, player, score, redis):
    user, client = player()
    score(user, RIGHT)
    for period in ("all", "day", "week"):
        assert board_points(redis, board_keys.board(period, NOW), user["id"]) == 35
    for period in ("day", "week"):
        board = board_keys.board(period, NOW)
        assert redis.expiretime(board) == board_keys.board_expires_at(period, NOW)
        assert redis.expiretime(board_keys.board_members(board)) == board_keys.board_expires_at(period, NOW)
    assert redis.ttl(board_keys.board("all")) == -1
    assert client.get("/api/v1/me").json()["rank"] == 1


def test_period_boards_add_the_improvement_per_period(quiz, player, score, redis):
    user, _ = player()
    score(user, [0, 2, 1], now=NOW)  # 10 today
    tomorrow = NOW + timedelta(days=1)
    score(user, RIGHT, now=tomorrow)  # +25 tomorrow

    def points(period: str, at: datetime) -> int:
        return board_points(redis, board_keys.board(period, at), user["id"])

    assert points("day", NOW) == 10 and points("day", tomorrow) == 25
    if board_keys.board("week", NOW) == board_keys.board("week", tomorrow):
        assert points("week", NOW) == 35
    else:
        assert points("week", NOW) == 10 and points("week", tomorrow) == 25
    assert board_points(redis, board_keys.board("all"), user["id"]) == 35


def test_equal_scores_rank_by_who_got_there_first(quiz, player, score, redis):
    early, _ = player()
    late, _ = player()
    score(late, [0, 2, 1], now=NOW)  # late reaches 10 first...
    score(early, [0, 2, 1], now=NOW + timedelta(seconds=5))
    score(late, RIGHT, now=NOW + timedelta(seconds=10))  # ...then moves to 35 (re-stamped)
    score(early, RIGHT, now=NOW + timedelta(seconds=20))
    assert board_users(redis, board_keys.board("all")) == [late["id"], early["id"]]
    # late's 35 was the third change applied (re-stamped when it moved), early's the fourth
    board = board_keys.board("all")
    assert board_seq(redis, board, late["id"]) + 1 == board_seq(redis, board, early["id"])


def test_job_run_twice_scores_once(quiz, player, redis, published):
    user, _ = player()
    accepted = services.submission_create(user_id=user["id"], quiz_id=quiz["id"], answers=RIGHT)
    job = {"submission_id": accepted.id, "quiz_id": quiz["id"], "user_id": user["id"]}
    assert tasks.submission_score(**job) is True
    assert tasks.submission_score(**job) is False
    assert _profile(redis, user) == {"total_score": 35, "quizzes_solved": 1}
    assert len(published) == 1  # events come from the run that applied the score


def test_apply_script_run_twice_scores_once(quiz, player, redis):
    """A worker killed after the script ran re-runs it: the applied marker makes that a no-op."""
    user, _ = player()
    accepted = services.submission_create(user_id=user["id"], quiz_id=quiz["id"], answers=RIGHT)
    run = dict(submission_id=accepted.id, quiz_id=quiz["id"], user_id=user["id"], now=NOW)
    assert scoring.submission_score(**run).score == 35
    assert scoring.submission_score(**run) is None
    later = {**run, "now": NOW + timedelta(days=1)}  # even on another day's board
    assert scoring.submission_score(**later) is None
    assert _profile(redis, user) == {"total_score": 35, "quizzes_solved": 1}
    for period, at in (("all", NOW), ("day", NOW), ("week", NOW)):
        assert board_points(redis, board_keys.board(period, at), user["id"]) == 35
    assert not redis.exists(board_keys.board("day", later["now"]))


def test_a_score_job_is_one_round_trip(quiz, player, published, roundtrips):
    """Grading, applying and recording the events are one script; announcing is left to the sender."""
    first, _ = player("first")
    second, _ = player("second")
    accepted = [services.submission_create(user_id=u["id"], quiz_id=quiz["id"], answers=RIGHT) for u in (first, second)]
    tasks.submission_score(submission_id=accepted[0].id, quiz_id=quiz["id"], user_id=first["id"])  # script cached
    roundtrips.reset()
    assert tasks.submission_score(submission_id=accepted[1].id, quiz_id=quiz["id"], user_id=second["id"]) is True
    assert roundtrips.count == 1
    assert [e["type"] for e in published[1]][:2] == ["submission.processed", "leaderboard.entered_top10"]


def test_events_carry_ranks_and_top10_changes(quiz, player, redis, published):
    first, _ = player("first")
    second, _ = player("second")
    for user, answers in ((first, RIGHT), (second, [0, 2, 0]), (first, [1, 1, 1])):
        accepted = services.submission_create(user_id=user["id"], quiz_id=quiz["id"], answers=answers)
        tasks.submission_score(submission_id=accepted.id, quiz_id=quiz["id"], user_id=user["id"])
    processed = [(run[0]["type"], run[0]["score"], run[0]["total_score"], run[0]["rank"]) for run in published]
    assert processed == [("submission.processed", 35, 35, 1), ("submission.processed", 15, 15, 2),
                         ("submission.processed", 20, 35, 1)]
    # Unranked before, in the top 10 after: entered it (the user's and the board's copy), and the
    # top 10 changed. A worse attempt by the leader changes nothing shown: no more events.
    assert [[e["type"] for e in run[1:]] for run in published] == [
        ["leaderboard.entered_top10", "leaderboard.entered_top10", "leaderboard.top10_changed"],
        ["leaderboard.entered_top10", "leaderboard.entered_top10", "leaderboard.top10_changed"],
        [],
    ]
    assert [(e["username"], e["rank"], e["score"]) for e in (published[0][1], published[1][1])] == [
        ("first", 1, 35), ("second", 2, 15)]
    assert [(e["username"], e["score"]) for e in published[1][3]["entries"]] == [("first", 35), ("second", 15)]
    assert all(e["event_id"] for run in published for e in run)


def test_grading_uses_the_version_recorded_at_submit(quiz, admin_client, player, score, redis):
    user, _ = player()
    accepted = services.submission_create(user_id=user["id"], quiz_id=quiz["id"], answers=RIGHT)
    flipped = [{**q, "answer": 1} for q in quiz["questions"]]
    admin_client.patch(f"/api/v1/quizzes/{quiz['id']}", {"questions": flipped}, format="json")
    assert redis.hexists(keys.quiz_versions(quiz["id"]), "1")  # kept: a queued submission needs it
    applied = scoring.submission_score(submission_id=accepted.id, quiz_id=quiz["id"], user_id=user["id"])
    assert applied.score == 35  # graded by version 1, where RIGHT was right
    assert redis.hkeys(keys.quiz_versions(quiz["id"])) == ["2"]  # version 1 is no longer needed
    _, later = score(user, RIGHT)
    assert later.score == 20 and later.total_score == 35  # version 2 grades only question 2 right


def test_unreferenced_versions_are_dropped_at_update(quiz, admin_client, redis):
    admin_client.patch(f"/api/v1/quizzes/{quiz['id']}", {"title": "v2"}, format="json")
    admin_client.patch(f"/api/v1/quizzes/{quiz['id']}", {"title": "v3"}, format="json")
    assert redis.hkeys(keys.quiz_versions(quiz["id"])) == ["3"]


def test_a_deleted_quiz_still_grades_its_queued_submissions(quiz, admin_client, player, redis):
    user, _ = player()
    accepted = services.submission_create(user_id=user["id"], quiz_id=quiz["id"], answers=RIGHT)
    admin_client.delete(f"/api/v1/quizzes/{quiz['id']}")
    applied = scoring.submission_score(submission_id=accepted.id, quiz_id=quiz["id"], user_id=user["id"])
    assert applied.score == 35
    assert not redis.exists(keys.quiz_versions(quiz["id"]), keys.quiz_pending(quiz["id"]))


def test_missing_answer_key_is_a_permanent_error(quiz, player, redis):
    user, client = player()
    accepted = services.submission_create(user_id=user["id"], quiz_id=quiz["id"], answers=RIGHT)
    redis.hdel(keys.quiz_versions(quiz["id"]), "1")
    with pytest.raises(scoring.ScoringError):
        scoring.submission_score(submission_id=accepted.id, quiz_id=quiz["id"], user_id=user["id"])
    assert scoring.submission_mark_failed(submission_id=accepted.id, quiz_id=quiz["id"], reason="gone")
    body = client.get(f"/api/v1/submissions/{accepted.id}").json()
    assert body["status"] == "failed" and body["reason"] == "gone"
    assert not redis.exists(keys.quiz_pending(quiz["id"]))
    # A failed submission is never scored later, and a processed one is never marked failed.
    assert scoring.submission_score(submission_id=accepted.id, quiz_id=quiz["id"], user_id=user["id"]) is None
    assert _profile(redis, user)["total_score"] == 0


def test_a_processed_submission_is_never_marked_failed(quiz, player, score):
    user, client = player()
    submission_id, _ = score(user, RIGHT)
    assert not scoring.submission_mark_failed(submission_id=submission_id, quiz_id=quiz["id"], reason="x")
    assert client.get(f"/api/v1/submissions/{submission_id}").json()["status"] == "processed"
