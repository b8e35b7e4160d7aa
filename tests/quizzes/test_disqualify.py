"""Disqualification: the best is recomputed, totals and boards move in one step, a queued one is never scored."""
from __future__ import annotations

from datetime import datetime, timezone


from accounts import keys as account_keys
from leaderboard import keys as lb_keys
from quizzes import keys
from tests.boards import board_points

from .conftest import RIGHT, submit


def _boards():
    now = datetime.now(timezone.utc)
    return [lb_keys.board(period, now) for period in ("all", "day", "week")]


def _state(redis, user_id, quiz_id):
    profile = redis.hgetall(account_keys.user_profile(user_id))
    best = redis.hget(keys.user_best(user_id), quiz_id)
    return (int(profile["total_score"]), int(profile["quizzes_solved"]), None if best is None else int(best),
            [board_points(redis, board, user_id) for board in _boards()])


def _dq(admin_client, sid, reason="copied answers"):
    return admin_client.post(f"/api/v1/submissions/{sid}/disqualify", {"reason": reason}, format="json")


def test_disqualifying_the_best_falls_back_to_the_next_best(admin_client, quiz, player, run_worker, redis):
    user, client = player("alice")
    low = submit(client, quiz["id"], [0, 0, 0]).json()["id"]  # 15
    run_worker()
    high = submit(client, quiz["id"], RIGHT).json()["id"]  # 35
    run_worker()
    assert _state(redis, user["id"], quiz["id"]) == (35, 1, 35, [35, 35, 35])
    resp = _dq(admin_client, high)
    assert resp.status_code == 200, resp.content
    assert resp.json()["status"] == "disqualified" and resp.json()["reason"] == "copied answers"
    assert _state(redis, user["id"], quiz["id"]) == (15, 1, 15, [15, 15, 15])
    assert client.get(f"/api/v1/submissions/{high}").json()["status"] == "disqualified"
    assert _dq(admin_client, high).status_code == 200  # a repeat changes nothing
    assert _state(redis, user["id"], quiz["id"]) == (15, 1, 15, [15, 15, 15])
    _dq(admin_client, low)
    assert _state(redis, user["id"], quiz["id"]) == (0, 0, None, [0, 0, 0])
    results = client.get(f"/api/v1/quizzes/{quiz['id']}/results").json()
    assert results["attempts"] == 0


def test_a_lower_submission_changes_nothing_but_its_status(admin_client, quiz, player, run_worker, redis):
    user, client = player("alice")
    submit(client, quiz["id"], RIGHT)
    run_worker()
    low = submit(client, quiz["id"], [0, 0, 0]).json()["id"]
    run_worker()
    _dq(admin_client, low)
    assert _state(redis, user["id"], quiz["id"]) == (35, 1, 35, [35, 35, 35])


def test_others_move_up_and_a_board_event_is_recorded(admin_client, quiz, player, run_worker, redis):
    (_, a), (_, b) = player("alice"), player("bob")
    top = submit(a, quiz["id"], RIGHT).json()["id"]
    submit(b, quiz["id"], [0, 1, 1])
    run_worker()
    assert b.get("/api/v1/me").json()["rank"] == 2
    events_before = redis.xlen(lb_keys.events_stream())
    _dq(admin_client, top)
    assert b.get("/api/v1/me").json()["rank"] == 1
    assert redis.xlen(lb_keys.events_stream()) == events_before + 1  # a top10_changed


def test_a_queued_submission_disqualified_is_never_scored(admin_client, quiz, player, run_worker, redis):
    user, client = player("alice")
    sid = submit(client, quiz["id"], RIGHT).json()["id"]
    assert _dq(admin_client, sid).json()["status"] == "disqualified"
    run_worker()
    assert redis.hget(keys.submission(sid), "status") == "disqualified"
    assert _state(redis, user["id"], quiz["id"]) == (0, 0, None, [None, None, None])
    assert not redis.zscore(keys.submissions_queued(), sid)
    assert redis.hget(keys.quiz_pending(quiz["id"]), "1") is None  # its answer-key pin released


def test_disqualification_racing_the_worker_gives_the_same_result_in_either_order(
        admin_client, quiz, player, live_worker, redis):
    """A real worker process scoring while the disqualification lands, in a loop."""
    import random
    import time

    from tests.faults.processes import wait_until

    before_seen = set()
    for round_ in range(20):
        user, client = player(f"racer{round_}")
        keep = submit(client, quiz["id"], [0, 0, 0]).json()["id"]  # 15, never disqualified
        sid = submit(client, quiz["id"], RIGHT).json()["id"]  # 35, disqualified
        time.sleep(random.choice([0, 0, random.uniform(0, 0.005)]))
        before_seen.add(redis.hget(keys.submission(sid), "status"))
        assert _dq(admin_client, sid).status_code == 200
        wait_until(lambda: redis.hget(keys.submission(keep), "status") != "queued", timeout=30,
                   what="the worker to score the kept submission")
        wait_until(lambda: not redis.zscore(keys.submissions_queued(), sid), timeout=30, what="the queue")
        assert redis.hget(keys.submission(sid), "status") == "disqualified"
        assert _state(redis, user["id"], quiz["id"]) == (15, 1, 15, [15, 15, 15]), f"round {round_}"
    print("status of the disqualified submission when the request was sent:", sorted(before_seen))


def test_moderation_of_submissions_is_admin_only_and_bad_input_is_the_envelope(admin_client, quiz, player):
    user, client = player("alice")
    sid = submit(client, quiz["id"], RIGHT).json()["id"]
    resp = client.post(f"/api/v1/submissions/{sid}/disqualify", {"reason": "x"}, format="json")
    assert resp.status_code == 403 and resp.json()["error"]["code"] == "forbidden"
    assert admin_client.post("/api/v1/submissions/" + "0" * 32 + "/disqualify", {}, format="json").status_code == 404
    for body in ({"reason": 1}, {"reason": None}, {"reason": "x" * 501}, [], "x"):
        resp = admin_client.post(f"/api/v1/submissions/{sid}/disqualify", body, format="json")
        assert resp.status_code == 400, (body, resp.content)


def test_disqualifications_are_in_the_audit_log(admin_client, quiz, player):
    _, client = player("alice")
    sid = submit(client, quiz["id"], RIGHT).json()["id"]
    _dq(admin_client, sid, reason="bot")
    (entry,) = [e for e in admin_client.get("/api/v1/admin/audit").json()["entries"]
                if e["action"] == "submission.disqualify"]
    assert (entry["target_type"], entry["target_id"], entry["reason"]) == ("submission", sid, "bot")


def _score_at(client, quiz_id, answers, at):
    """Accept through the API, score on the worker's code path at instant `at` (its day and week)."""
    from quizzes.scoring import submission_score

    resp = submit(client, quiz_id, answers)
    sid = resp.json()["id"]
    user_id = client.get("/api/v1/me").json()["id"]
    submission_score(submission_id=sid, quiz_id=quiz_id, user_id=user_id, now=at)
    return sid


def _period_points(redis, user_id, at):
    return [board_points(redis, lb_keys.board(period, at), user_id) for period in ("day", "week")]


# A future Monday, Tuesday and Wednesday of one ISO week: their boards have not expired.
MON, TUE, WED = (datetime(2031, 3, d, 12, tzinfo=timezone.utc) for d in (3, 4, 5))


def test_each_day_board_keeps_what_the_submissions_left_would_have_earned(admin_client, quiz, player, redis):
    user, client = player("alice")
    a = _score_at(client, quiz["id"], [0, 0, 0], MON)  # 15: +15 on Monday
    b = _score_at(client, quiz["id"], RIGHT, TUE)  # 35: +20 on Tuesday
    _dq(admin_client, a)  # without it, Tuesday's 35 would have earned all 35
    assert _state(redis, user["id"], quiz["id"])[:3] == (35, 1, 35)
    assert _period_points(redis, user["id"], MON) == [0, 35]
    assert _period_points(redis, user["id"], TUE) == [35, 35]
    _dq(admin_client, b)
    assert _state(redis, user["id"], quiz["id"])[:3] == (0, 0, None)
    assert _period_points(redis, user["id"], TUE) == [0, 0]


def test_a_later_lower_submission_gets_the_gain_it_would_have_had(admin_client, quiz, player, redis):
    user, client = player("alice")
    _score_at(client, quiz["id"], [1, 1, 0], MON)  # 20 + 5 = 25: +25 Monday
    best = _score_at(client, quiz["id"], RIGHT, TUE)  # 35: +10 Tuesday
    _score_at(client, quiz["id"], [0, 1, 1], WED)  # 10 + 20 = 30: no gain on Wednesday
    _dq(admin_client, best)
    assert _state(redis, user["id"], quiz["id"])[:3] == (30, 1, 30)
    # Without the 35: Monday +25, Tuesday nothing, Wednesday +5.
    assert [_period_points(redis, user["id"], at)[0] for at in (MON, TUE, WED)] == [25, 0, 5]
    assert _period_points(redis, user["id"], WED)[1] == 30  # the week: 25 + 5
