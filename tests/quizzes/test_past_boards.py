"""Final boards of past periods (issue 25): `?period=day|week&ago=N`, kept by the retention settings.

Scores are applied by the score job with an injected `now` in past periods; the API reads with
the real clock, so those periods have ended when they are read back.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from config.http.times import iso
from leaderboard import keys as board_keys
from quizzes import scoring, services
from tests.quizzes.conftest import RIGHT

BOARD = "/api/v1/leaderboard"


def _day_start(at: datetime) -> datetime:
    return datetime(at.year, at.month, at.day, tzinfo=timezone.utc)


@pytest.fixture
def now() -> datetime:
    moment = datetime.now(timezone.utc).replace(microsecond=0)
    if moment.hour == 23 and moment.minute == 59:
        pytest.skip("a day ends during this test: the real clock decides `ago`")
    return moment


@pytest.fixture
def score_at(quiz):
    """Run the score job for a user's submission as if it were scored at `at`."""

    def _score(user: dict, answers: list[int], at: datetime) -> None:
        accepted = services.submission_create(user_id=user["id"], quiz_id=quiz["id"], answers=answers)
        scoring.submission_score(submission_id=accepted.id, quiz_id=quiz["id"], user_id=user["id"], now=at)

    return _score


def _rows(body: dict) -> list[tuple]:
    return [(e["rank"], e["user_id"], e["score"]) for e in body["entries"]]


def test_a_finished_day_and_week_read_back_with_their_period(player, score_at, now, redis):
    (alice, client), (bob, _), (carol, _), (dave, _) = player(), player(), player(), player()
    three_days_ago, two_weeks_ago = now - timedelta(days=3), now - timedelta(weeks=2)
    score_at(carol, RIGHT, two_weeks_ago)  # 35
    score_at(alice, [0, 1, 1], three_days_ago)  # 30
    score_at(bob, RIGHT, three_days_ago)  # 35
    score_at(dave, [0, 1, 1], now)

    day = client.get(BOARD + "?period=day&ago=3").json()
    assert _rows(day) == [(1, bob["id"], 35), (2, alice["id"], 30)]
    start = _day_start(three_days_ago)
    assert day["period"] == {"name": "day", "starts_at": iso(start), "ends_at": iso(start + timedelta(days=1))}
    assert _rows(client.get(BOARD + "?period=day").json()) == [(1, dave["id"], 30)]  # today's board
    assert client.get(BOARD + "?period=day&ago=2").json()["total"] == 0  # kept, nobody scored: empty

    week = client.get(BOARD + "?period=week&ago=2").json()
    assert _rows(week) == [(1, carol["id"], 35)]
    monday = _day_start(two_weeks_ago) - timedelta(days=two_weeks_ago.weekday())
    assert week["period"] == {"name": "week", "starts_at": iso(monday), "ends_at": iso(monday + timedelta(weeks=1))}

    # The caller's place and any user's rank on the same past board.
    me = client.get("/api/v1/leaderboard/me?period=day&ago=3&around=1").json()
    assert (me["rank"], me["score"], len(me["around"])) == (2, 30, 2)
    rank = client.get(f"/api/v1/leaderboard/users/{bob['id']}?period=week&ago=2").json()
    assert rank == {"rank": None, "score": 0}
    assert client.get(f"/api/v1/leaderboard/users/{carol['id']}?period=week&ago=2").json() == {"rank": 1, "score": 35}

    # The board itself is kept by the retention settings, one day past its last readable period.
    day_key = board_keys.board("day", three_days_ago)
    kept_until = start + timedelta(days=1 + 14 + 1)
    assert redis.expiretime(day_key) == int(kept_until.timestamp())
    assert redis.expiretime(board_keys.board_members(day_key)) == int(kept_until.timestamp())


def test_every_page_says_its_period(player, now):
    _, client = player()
    assert client.get(BOARD).json()["period"] == {"name": "all", "starts_at": None, "ends_at": None}
    day = client.get(BOARD + "?period=day&ago=0").json()["period"]
    start = _day_start(now)
    assert day == {"name": "day", "starts_at": iso(start), "ends_at": iso(start + timedelta(days=1))}
    week = client.get(BOARD + "?period=week").json()["period"]
    assert week["ends_at"] == iso(start + timedelta(days=7 - now.weekday()))  # next Monday 00:00 UTC


@pytest.mark.parametrize("query,status", [
    ("period=day&ago=14", 200), ("period=day&ago=15", 404), ("period=week&ago=8", 200),
    ("period=week&ago=9", 404), ("period=day&ago=100000", 404), ("period=day&ago=100001", 400),
    ("period=all&ago=0", 400), ("ago=1", 400), ("period=day&ago=-1", 400), ("period=day&ago=1.0", 400),
    ("period=day&ago=", 400), ("period=day&ago=1&ago=1", 400),
])
def test_ago_is_strict_and_limited_by_the_retention(player, query, status):
    _, client = player()
    for path in (BOARD, "/api/v1/leaderboard/me"):
        resp = client.get(f"{path}?{query}")
        assert resp.status_code == status, (path, resp.content)
        if status != 200:
            assert resp.json()["error"]["code"] == {400: "invalid", 404: "not_found"}[status]


def test_retention_follows_the_settings(player, score_at, now, settings, redis):
    settings.PERIOD_DAYS_KEPT = 2
    user, client = player()
    score_at(user, RIGHT, now - timedelta(days=2))
    other, _ = player()
    score_at(other, RIGHT, now - timedelta(days=4))  # its board expired 2 + 1 days after its day
    assert _rows(client.get(BOARD + "?period=day&ago=2").json()) == [(1, user["id"], 35)]
    assert client.get(BOARD + "?period=day&ago=3").status_code == 404
    assert not redis.exists(board_keys.board("day", now - timedelta(days=4)))


def test_a_ban_takes_the_user_off_every_kept_past_board_and_unban_brings_them_back(
    player, score_at, now, admin_client, redis
):
    (user, _), (reader, client) = player(), player()
    at = now - timedelta(days=13)  # a day board kept only under the longer retention
    score_at(user, RIGHT, at)
    weeks_ago = (_day_start(now) - timedelta(days=now.weekday()) - _day_start(at) + timedelta(days=6)).days // 7
    queries = [BOARD + "?period=day&ago=13", BOARD + f"?period=week&ago={weeks_ago}"]
    assert [_rows(client.get(q).json()) for q in queries] == [[(1, user["id"], 35)]] * 2

    assert admin_client.post(f"/api/v1/users/{user['id']}/ban", {"reason": "spam"}, format="json").status_code == 200
    assert [client.get(q).json()["total"] for q in queries] == [0, 0]
    assert admin_client.post(f"/api/v1/users/{user['id']}/unban").status_code == 200
    assert [_rows(client.get(q).json()) for q in queries] == [[(1, user["id"], 35)]] * 2


def test_a_group_board_of_a_past_period_reads_back_with_its_period(player, score_at, now, redis):
    (alice, a), (bob, b), (carol, _) = player(), player(), player()
    group = a.post("/api/v1/groups", {"name": "Class"}, format="json").json()
    assert b.post("/api/v1/groups/join", {"join_code": group["join_code"]}, format="json").status_code == 200
    three_days_ago = now - timedelta(days=3)
    score_at(alice, [0, 1, 1], three_days_ago)  # 30
    score_at(bob, RIGHT, three_days_ago)  # 35
    score_at(carol, RIGHT, three_days_ago)  # not a member: not on the group's board

    url = f"/api/v1/groups/{group['id']}/leaderboard"
    day = a.get(url + "?period=day&ago=3").json()
    assert _rows(day) == [(1, bob["id"], 35), (2, alice["id"], 30)]
    start = _day_start(three_days_ago)
    assert day["period"] == {"name": "day", "starts_at": iso(start), "ends_at": iso(start + timedelta(days=1))}
    assert a.get(url + "?period=day").json()["total"] == 0  # today's group board: nobody scored
    assert a.get(url + "/me?period=day&ago=3&around=0").json()["rank"] == 2
    assert a.get(url + "?period=all").json()["period"] == {"name": "all", "starts_at": None, "ends_at": None}
    assert a.get(url + "?period=all&ago=1").status_code == 400
    assert a.get(url + "?period=day&ago=999").status_code == 404
