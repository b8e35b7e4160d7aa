"""Group boards: fan-out on write from the score job, joins and leaves, bans, privacy, erasure, the sweep.

Every check compares each group board with the global board of its period filtered to the
group's members (a hidden member's parked entry in place of the global one): the same members
"<tie>:<uid>" and the same points, so ranks and ties agree.
"""
from __future__ import annotations

import random
import threading
from datetime import datetime, timezone

import pytest

from accounts import keys as account_keys
from accounts import lifecycle
from leaderboard import keys
from tests.quizzes.conftest import RIGHT, submit

PERIODS = ("all", "day", "week")
ANSWERS = ([1, 0, 1], [0, 0, 0], [1, 1, 0], RIGHT)  # 0, 15, 25, 35 points


@pytest.fixture(autouse=True)
def _generous_join_limit(settings):
    settings.RATELIMIT_GROUP_JOIN_RATE = "10000/60s"  # the limit has its own test


def _expected(redis, group_id: str, board: str) -> dict[str, float]:
    members = redis.smembers(keys.group_members(group_id))
    rows = {m: s for m, s in redis.zrange(board, 0, -1, withscores=True) if m.split(":", 1)[1] in members}
    for uid in members:
        profile = redis.hmget(account_keys.user_profile(uid), "hidden", "banned")
        parked = redis.hget(account_keys.user_parked(uid), board)
        if profile[0] and not profile[1] and parked:
            points, tie, _ = parked.split(" ")
            rows[f"{tie}:{uid}"] = float(points)
    return rows


def assert_group_boards_match(redis, group_id: str) -> None:
    now = datetime.now(timezone.utc)
    for period in PERIODS:
        board = keys.board(period, now)
        got = dict(redis.zrange(keys.group_board(group_id, period, now), 0, -1, withscores=True))
        assert got == _expected(redis, group_id, board), period


def _group(client, name="Class") -> dict:
    resp = client.post("/api/v1/groups", {"name": name}, format="json")
    assert resp.status_code == 201, resp.content
    return resp.json()


def _join(client, group) -> None:
    assert client.post("/api/v1/groups/join", {"join_code": group["join_code"]}, format="json").status_code == 200


def _scored(run_worker, quiz, *plays) -> None:
    for client, answers in plays:
        assert submit(client, quiz["id"], answers).status_code == 202
    run_worker()


def test_a_group_board_ranks_members_only_with_the_global_tie_rule(quiz, player, run_worker, redis):
    (alice, a), (bob, b), (carol, c), (_, outsider) = player("alice"), player("bob"), player("carol"), player("outsider")
    group = _group(a)
    _join(b, group)
    _join(c, group)
    _scored(run_worker, quiz, (a, RIGHT), (outsider, RIGHT), (b, RIGHT), (c, [1, 1, 0]))
    page = b.get(f"/api/v1/groups/{group['id']}/leaderboard").json()
    assert page["total"] == 3
    assert [(e["rank"], e["username"], e["score"]) for e in page["entries"]] == [
        (1, "alice", 35), (2, "bob", 35), (3, "carol", 25)]
    me = c.get(f"/api/v1/groups/{group['id']}/leaderboard/me?around=1").json()
    assert (me["rank"], me["score"]) == (3, 25) and [e["username"] for e in me["around"]] == ["bob", "carol"]
    for period in ("day", "week"):
        assert a.get(f"/api/v1/groups/{group['id']}/leaderboard?period={period}").json()["total"] == 3
    assert_group_boards_match(redis, group["id"])


def test_joining_shows_current_points_and_tie_leaving_removes_at_once(quiz, player, run_worker, redis):
    (alice, a), (bob, b) = player("alice"), player("bob")
    _scored(run_worker, quiz, (b, RIGHT), (a, RIGHT))  # bob reached 35 first
    group = _group(a)
    assert [e["username"] for e in a.get(f"/api/v1/groups/{group['id']}/leaderboard").json()["entries"]] == ["alice"]
    _join(b, group)
    entries = a.get(f"/api/v1/groups/{group['id']}/leaderboard").json()["entries"]
    assert [(e["username"], e["score"]) for e in entries] == [("bob", 35), ("alice", 35)]
    assert_group_boards_match(redis, group["id"])
    assert b.delete(f"/api/v1/groups/{group['id']}/members/{bob['id']}").status_code == 204
    assert [e["username"] for e in a.get(f"/api/v1/groups/{group['id']}/leaderboard").json()["entries"]] == ["alice"]
    assert_group_boards_match(redis, group["id"])


def test_joins_and_leaves_between_scores_keep_boards_equal_to_points(quiz, player, run_worker, redis):
    """Every step: a score, a join or a leave; after each, every group board equals its members' points."""
    rng = random.Random(24)
    players = [player(f"player{i}") for i in range(6)]
    groups = [_group(players[0][1], "g0"), _group(players[1][1], "g1")]
    owners = {groups[0]["id"]: players[0][0]["id"], groups[1]["id"]: players[1][0]["id"]}
    for step in range(40):
        user, client = rng.choice(players)
        group = rng.choice(groups)
        action = rng.choice(("score", "score", "join", "leave"))
        if action == "score":
            _scored(run_worker, quiz, (client, rng.choice(ANSWERS)))
        elif action == "join":
            _join(client, group)
        elif owners[group["id"]] != user["id"]:
            client.delete(f"/api/v1/groups/{group['id']}/members/{user['id']}")
        for g in groups:
            assert_group_boards_match(redis, g["id"])


def test_concurrent_scoring_with_joins_and_leaves_racing_it(quiz, player, live_worker, redis):
    """A real worker scores while members join and leave: the script's groups check keeps boards right."""
    players = [player(f"player{i}") for i in range(8)]
    group = _group(players[0][1])
    stop = threading.Event()

    def churn():
        rng = random.Random(7)
        while not stop.is_set():
            user, client = rng.choice(players[1:])
            _join(client, group)
            client.delete(f"/api/v1/groups/{group['id']}/members/{user['id']}")

    mover = threading.Thread(target=churn)
    mover.start()
    try:
        for round_ in range(3):
            for _, client in players:
                assert submit(client, quiz["id"], ANSWERS[round_ + 1]).status_code == 202
        from tests.faults.processes import wait_until

        wait_until(lambda: not redis.zcard("qb:submissions:queued"), timeout=60, what="the jobs to run")
    finally:
        stop.set()
        mover.join()
    assert_group_boards_match(redis, group["id"])
    assert redis.zcard(keys.group_board(group["id"])) == redis.scard(keys.group_members(group["id"]))


def test_a_user_in_many_groups_is_on_each_board(quiz, player, run_worker, redis):
    (alice, a), (bob, b) = player("alice"), player("bob")
    groups = [_group(b, f"g{i}") for i in range(12)]
    for group in groups:
        _join(a, group)
    _scored(run_worker, quiz, (a, [1, 1, 0]), (a, RIGHT))
    for group in groups:
        assert_group_boards_match(redis, group["id"])
        top = redis.zrevrange(keys.group_board(group["id"]), 0, 0, withscores=True)
        assert top[0][1] == 35


def test_privacy_keeps_a_member_on_group_boards(quiz, player, run_worker, redis):
    (alice, a), (bob, b) = player("alice"), player("bob")
    group = _group(a)
    _join(b, group)
    _scored(run_worker, quiz, (a, [1, 1, 0]))
    assert a.patch("/api/v1/me", {"public": False}, format="json").status_code == 200
    _scored(run_worker, quiz, (a, RIGHT), (b, RIGHT))
    entries = b.get(f"/api/v1/groups/{group['id']}/leaderboard").json()["entries"]
    assert [(e["username"], e["score"]) for e in entries] == [("alice", 35), ("bob", 35)]
    me = a.get(f"/api/v1/groups/{group['id']}/leaderboard/me").json()
    assert (me["rank"], me["score"]) == (1, 35)  # found by the parked entry's tie
    assert_group_boards_match(redis, group["id"])
    assert a.patch("/api/v1/me", {"public": True}, format="json").status_code == 200
    assert_group_boards_match(redis, group["id"])


def test_ban_takes_a_member_off_group_boards_and_unban_puts_them_back(admin_client, quiz, player, run_worker, redis):
    (alice, a), (bob, b) = player("alice"), player("bob")
    group = _group(b)
    _join(a, group)
    _scored(run_worker, quiz, (a, RIGHT), (b, RIGHT))
    before = redis.zrange(keys.group_board(group["id"]), 0, -1, withscores=True)
    assert admin_client.post(f"/api/v1/users/{alice['id']}/ban", {"reason": "x"}, format="json").status_code == 200
    assert [e["username"] for e in b.get(f"/api/v1/groups/{group['id']}/leaderboard").json()["entries"]] == ["bob"]
    assert_group_boards_match(redis, group["id"])
    assert admin_client.post(f"/api/v1/users/{alice['id']}/unban", {}, format="json").status_code == 200
    assert redis.zrange(keys.group_board(group["id"]), 0, -1, withscores=True) == before
    assert_group_boards_match(redis, group["id"])


def test_erasure_leaves_groups_and_deletes_owned_ones(quiz, player, run_worker, redis):
    (alice, a), (bob, b) = player("alice"), player("bob")
    owned, joined = _group(a, "mine"), _group(b, "theirs")
    _join(b, owned)
    _join(a, joined)
    _scored(run_worker, quiz, (a, RIGHT), (b, RIGHT))
    export = a.get("/api/v1/me/export").json()["groups"]
    assert sorted((g["name"], g["role"]) for g in export) == [("mine", "owner"), ("theirs", "member")]
    assert a.delete("/api/v1/me", {"password": alice["password"]}, format="json").status_code == 204
    assert [g["id"] for g in b.get("/api/v1/groups").json()] == [joined["id"]]
    assert redis.smembers(keys.group_members(joined["id"])) == {bob["id"]}
    assert [e["username"] for e in b.get(f"/api/v1/groups/{joined['id']}/leaderboard").json()["entries"]] == ["bob"]
    assert redis.keys(f"qb:grp:{owned['id']}*") == []
    assert not redis.exists(keys.user_groups(alice["id"]))
    assert_group_boards_match(redis, joined["id"])


def test_the_inactive_sweep_takes_members_off_group_boards(quiz, player, run_worker, redis):
    (alice, a), (bob, b) = player("alice"), player("bob")
    group = _group(b)
    _join(a, group)
    _scored(run_worker, quiz, (a, RIGHT), (b, RIGHT))
    now = int(datetime.now(timezone.utc).timestamp())
    redis.zadd(account_keys.users_last_seen(), {alice["id"]: now - 8 * 86400})
    report = lifecycle.inactive_users_sweep(days=7, now=now)
    assert report.evicted == 1
    for period in PERIODS:
        users = [m.split(":", 1)[1] for m in redis.zrange(keys.group_board(group["id"], period), 0, -1)]
        assert users == [bob["id"]], period
    assert redis.sismember(keys.group_members(group["id"]), alice["id"])  # still a member


def test_disqualification_moves_group_boards_with_the_global_ones(admin_client, quiz, player, run_worker, redis):
    (alice, a), (bob, b) = player("alice"), player("bob")
    group = _group(b)
    _join(a, group)
    _scored(run_worker, quiz, (a, [1, 1, 0]), (b, [0, 0, 0]), (a, RIGHT))
    best = redis.zrange(f"qb:user:{alice['id']}:submissions", -1, -1)[0]
    resp = admin_client.post(f"/api/v1/submissions/{best}/disqualify", {"reason": "copied"}, format="json")
    assert resp.status_code == 200, resp.content
    entries = b.get(f"/api/v1/groups/{group['id']}/leaderboard").json()["entries"]
    assert [(e["username"], e["score"]) for e in entries] == [("alice", 25), ("bob", 15)]
    assert_group_boards_match(redis, group["id"])
