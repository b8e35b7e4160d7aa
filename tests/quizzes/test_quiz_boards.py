"""Per-quiz boards (issue 24): each user's best on a quiz, ties by who reached it first, against
real Redis and real workers (the Procfile's worker class, in burst mode and as processes)."""
from __future__ import annotations

import dataclasses
import threading
import time

import pytest

from accounts import keys as account_keys
from accounts import lifecycle
from leaderboard import keys as lb_keys
from quizzes import keys
from tests.accounts.test_erasure import PASSWORD, _mentions
from tests.boards import board_entry, board_seq, board_users
from tests.quizzes.conftest import MAX_SCORE, RIGHT, quiz_body, submit

LOW = [0, 0, 0]  # 10 + 0 + 5 = 15
MID = [0, 1, 1]  # 10 + 20 + 0 = 30


def _board(client, quiz_id: str, query: str = "") -> dict:
    resp = client.get(f"/api/v1/quizzes/{quiz_id}/leaderboard{query}")
    assert resp.status_code == 200, resp.content
    return resp.json()


def _me(client, quiz_id: str, query: str = "") -> dict:
    resp = client.get(f"/api/v1/quizzes/{quiz_id}/leaderboard/me{query}")
    assert resp.status_code == 200, resp.content
    return resp.json()


def _scored(run_worker, quiz_id: str, *players) -> None:
    for client, answers in players:
        assert submit(client, quiz_id, answers).status_code == 202
    run_worker()


def _settled(redis, user_ids) -> bool:
    return not any(
        redis.hget(keys.submission(sid), "status") == "queued"
        for uid in user_ids for sid in redis.zrange(keys.user_submissions(uid), 0, -1)
    )


def test_each_users_best_ranks_with_ties_in_the_order_they_were_reached(quiz, player, run_worker, redis):
    players = [player() for _ in range(6)]
    # Three reach 35, two stop at 30, one at 15; every one of them first scored 15.
    _scored(run_worker, quiz["id"], *((client, LOW) for _, client in players))
    order = [3, 0, 5, 1, 4]
    _scored(run_worker, quiz["id"], *((players[i][1], RIGHT if i in (3, 0, 5) else MID) for i in order))

    page = _board(players[0][1], quiz["id"], "?limit=100")
    assert page["total"] == 6
    expected = [players[i][0] for i in (3, 0, 5, 1, 4, 2)]
    assert [(e["user_id"], e["username"], e["score"]) for e in page["entries"]] == [
        (u["id"], u["username"], score) for u, score in zip(expected, (35, 35, 35, 30, 30, 15))
    ]
    assert [e["rank"] for e in page["entries"]] == [1, 2, 3, 4, 5, 6]
    assert _board(players[0][1], quiz["id"], "?limit=2&offset=2")["entries"] == page["entries"][2:4]

    me = _me(players[5][1], quiz["id"], "?around=1")
    assert (me["rank"], me["score"]) == (3, 35)
    assert [e["user_id"] for e in me["around"]] == [players[0][0]["id"], players[5][0]["id"], players[1][0]["id"]]
    assert _me(players[2][1], quiz["id"], "?around=0")["around"] == [page["entries"][5]]


def test_concurrent_workers_rank_equal_bests_by_the_order_redis_applied_them(
        quiz, player, live_worker, redis):
    """Two worker processes, 20 users submitting at once: the order is the tie counter's, no gaps."""
    from tests.faults.processes import WorkerProcess, wait_until

    second = WorkerProcess(queues=live_worker.queues).start()
    try:
        players = [player() for _ in range(20)]
        threads = [threading.Thread(target=submit, args=(client, quiz["id"], RIGHT)) for _, client in players]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        ids = [u["id"] for u, _ in players]
        wait_until(lambda: _settled(redis, ids) and redis.zcard(keys.quiz_board(quiz["id"])) == 20,
                   timeout=60, what="the workers to score every submission")
    finally:
        second.stop()
    board = keys.quiz_board(quiz["id"])
    ranked = board_users(redis, board)
    seqs = [board_seq(redis, board, uid) for uid in ranked]
    assert sorted(ranked) == sorted(ids)
    assert seqs == sorted(seqs) and len(set(seqs)) == 20  # who got there first ranks first
    # The quiz board's tie is the same change as the global board's: the same order there.
    assert [u for u in board_users(redis, lb_keys.board("all")) if u in ids] == ranked
    assert [e["user_id"] for e in _board(players[0][1], quiz["id"], "?limit=20")["entries"]] == ranked


def test_only_an_improvement_moves_the_board_and_takes_a_new_tie(quiz, player, run_worker, redis):
    (alice, a), (bob, b) = player("alice"), player("bob")
    board = keys.quiz_board(quiz["id"])
    _scored(run_worker, quiz["id"], (a, [1, 0, 1]))  # 0 points: a best of 0 is on the board
    assert board_entry(redis, board, alice["id"])[0] == 0
    _scored(run_worker, quiz["id"], (a, MID), (b, MID))
    first = board_entry(redis, board, alice["id"])
    assert first[0] == 30 and board_users(redis, board) == [alice["id"], bob["id"]]
    _scored(run_worker, quiz["id"], (a, LOW), (a, MID))  # lower, then equal: nothing moves
    assert board_entry(redis, board, alice["id"]) == first
    assert board_users(redis, board) == [alice["id"], bob["id"]]
    _scored(run_worker, quiz["id"], (b, RIGHT), (a, RIGHT))  # bob gets to 35 first
    assert board_users(redis, board) == [bob["id"], alice["id"]]
    assert board_entry(redis, board, alice["id"])[0] == MAX_SCORE
    assert board_seq(redis, board, alice["id"]) > first[1]
    assert redis.hlen(keys.quiz_board_members(quiz["id"])) == 2  # one tie per user, the old one replaced


def test_boards_are_per_quiz(admin_client, quiz, player, run_worker):
    other = admin_client.post("/api/v1/quizzes", quiz_body(title="Rivers"), format="json").json()
    (alice, a), (bob, b) = player("alice"), player("bob")
    _scored(run_worker, quiz["id"], (a, RIGHT))
    _scored(run_worker, other["id"], (b, LOW))
    assert [e["user_id"] for e in _board(a, quiz["id"])["entries"]] == [alice["id"]]
    assert [e["user_id"] for e in _board(a, other["id"])["entries"]] == [bob["id"]]
    assert _me(a, other["id"]) == {"rank": None, "score": 0, "around": []}


def test_disqualification_moves_the_quiz_board(admin_client, quiz, player, run_worker, redis):
    (alice, a), (bob, b) = player("alice"), player("bob")
    _scored(run_worker, quiz["id"], (a, MID), (b, LOW))
    _scored(run_worker, quiz["id"], (a, RIGHT))
    board = keys.quiz_board(quiz["id"])
    tie = board_seq(redis, board, alice["id"])
    best_sid = redis.zrange(keys.user_submissions(alice["id"]), -1, -1)[0]
    resp = admin_client.post(f"/api/v1/submissions/{best_sid}/disqualify", {"reason": "x"}, format="json")
    assert resp.status_code == 200, resp.content
    assert board_entry(redis, board, alice["id"]) == (30, tie)  # back to the next best, same tie
    for sid in redis.zrange(keys.user_submissions(alice["id"]), 0, -1):
        admin_client.post(f"/api/v1/submissions/{sid}/disqualify", {"reason": "x"}, format="json")
    assert board_users(redis, board) == [bob["id"]]  # no best left: off the board
    assert redis.hget(keys.quiz_board_members(quiz["id"]), alice["id"]) is None
    assert _me(a, quiz["id"])["rank"] is None


def test_deleting_a_quiz_removes_its_board_and_a_late_score_never_brings_it_back(
        admin_client, quiz, player, run_worker, redis):
    (alice, a), (_, b) = player("alice"), player("bob")
    _scored(run_worker, quiz["id"], (a, RIGHT))
    assert submit(b, quiz["id"], RIGHT).status_code == 202  # queued when the quiz goes
    assert admin_client.delete(f"/api/v1/quizzes/{quiz['id']}").status_code == 204
    assert not redis.exists(keys.quiz_board(quiz["id"]), keys.quiz_board_members(quiz["id"]))
    run_worker()  # still graded with its answer key, but no board comes back
    assert not redis.exists(keys.quiz_board(quiz["id"]), keys.quiz_board_members(quiz["id"]))
    resp = a.get(f"/api/v1/quizzes/{quiz['id']}/leaderboard")
    assert resp.status_code == 404 and resp.json()["error"]["code"] == "not_found"
    assert a.get(f"/api/v1/quizzes/{quiz['id']}/leaderboard/me").status_code == 404


def test_ban_hide_and_return_take_the_user_off_and_back_with_their_tie(
        admin_client, quiz, player, run_worker, redis):
    (alice, a), (bob, b) = player("alice"), player("bob")
    _scored(run_worker, quiz["id"], (a, RIGHT), (b, RIGHT))
    board = keys.quiz_board(quiz["id"])
    before = [board_entry(redis, board, u["id"]) for u in (alice, bob)]

    admin_client.post(f"/api/v1/users/{alice['id']}/ban", {"reason": "x"}, format="json")
    assert board_users(redis, board) == [bob["id"]]
    assert _me(b, quiz["id"])["rank"] == 1
    admin_client.post(f"/api/v1/users/{alice['id']}/unban", {}, format="json")
    assert [board_entry(redis, board, u["id"]) for u in (alice, bob)] == before

    login = a.post("/api/v1/auth/login", {"username": "alice", "password": alice["password"]}, format="json")
    a.credentials(HTTP_AUTHORIZATION=f"Bearer {login.json()['token']}")
    assert a.patch("/api/v1/me", {"public": False}, format="json").status_code == 200
    assert board_users(redis, board) == [bob["id"]]
    assert _me(a, quiz["id"]) == {"rank": None, "score": 0, "around": []}  # hidden: unranked
    assert a.patch("/api/v1/me", {"public": True}, format="json").status_code == 200
    assert board_users(redis, board) == [alice["id"], bob["id"]]
    assert [board_entry(redis, board, u["id"]) for u in (alice, bob)] == before


def test_a_hidden_users_new_best_waits_in_the_parked_entries(admin_client, quiz, player, run_worker, redis):
    (alice, a), (bob, b) = player("alice"), player("bob")
    _scored(run_worker, quiz["id"], (a, LOW), (b, MID))
    a.patch("/api/v1/me", {"public": False}, format="json")
    _scored(run_worker, quiz["id"], (a, RIGHT))
    board = keys.quiz_board(quiz["id"])
    assert board_users(redis, board) == [bob["id"]]
    assert redis.hget(account_keys.user_parked(alice["id"]), board).startswith("35 ")
    a.patch("/api/v1/me", {"public": True}, format="json")
    assert board_users(redis, board) == [alice["id"], bob["id"]]
    assert board_entry(redis, board, alice["id"])[0] == 35


def test_a_quiz_board_reached_between_the_ban_read_and_the_flag_is_left_too(
        admin_client, quiz, player, run_worker, redis, monkeypatch):
    """The user's quiz boards are read before the ban's script: one scored in between is parked too."""
    from accounts import records
    from quizzes import user_records

    alice, a = player("alice")
    submit(a, quiz["id"], RIGHT)
    real = user_records.quiz_boards_of
    calls = []

    def _late(user_ids, now):
        calls.append(1)
        if len(calls) == 1:  # the first read sees no quiz yet; the score lands right after it
            seen = real(user_ids, now)
            run_worker()
            return seen
        return real(user_ids, now)

    kind = records._KINDS["board.quiz"]
    monkeypatch.setitem(records._KINDS, "board.quiz", dataclasses.replace(kind, boards_of=_late))
    admin_client.post(f"/api/v1/users/{alice['id']}/ban", {"reason": "x"}, format="json")
    assert len(calls) >= 2
    assert alice["id"] not in board_users(redis, keys.quiz_board(quiz["id"]))
    admin_client.post(f"/api/v1/users/{alice['id']}/unban", {}, format="json")
    assert board_entry(redis, keys.quiz_board(quiz["id"]), alice["id"])[0] == MAX_SCORE


def test_the_inactive_sweep_takes_the_user_off_every_quiz_board(admin_client, quiz, player, run_worker, redis):
    other = admin_client.post("/api/v1/quizzes", quiz_body(title="Rivers"), format="json").json()
    (idle, i), (active, b) = player("idle"), player("active")
    _scored(run_worker, quiz["id"], (i, RIGHT), (b, LOW))
    _scored(run_worker, other["id"], (i, LOW))
    now = int(time.time())
    redis.zadd(account_keys.users_last_seen(), {idle["id"]: now - 8 * 86_400})

    report = lifecycle.inactive_users_sweep(days=7, now=now)
    assert report.evicted == 1
    assert report.board_entries == 5  # global, day, week and two quiz boards
    assert board_users(redis, keys.quiz_board(quiz["id"])) == [active["id"]]
    assert not redis.exists(keys.quiz_board(other["id"]))
    for quiz_id in (quiz["id"], other["id"]):
        assert redis.hget(keys.quiz_board_members(quiz_id), idle["id"]) is None


def test_erasure_leaves_no_trace_on_quiz_boards(admin_client, quiz, player, run_worker, redis):
    other = admin_client.post("/api/v1/quizzes", quiz_body(title="Rivers"), format="json").json()
    (alice, a), (bob, b) = player("alice"), player("bob")
    _scored(run_worker, quiz["id"], (a, RIGHT), (b, RIGHT))
    _scored(run_worker, other["id"], (a, LOW))
    a.patch("/api/v1/me", {"public": False}, format="json")  # and a parked entry
    _scored(run_worker, other["id"], (a, RIGHT))
    assert a.delete("/api/v1/me", {"password": PASSWORD}, format="json").status_code == 204
    for quiz_id in (quiz["id"], other["id"]):
        for key in (keys.quiz_board(quiz_id), keys.quiz_board_members(quiz_id)):
            assert key not in " ".join(_mentions(redis, alice["id"]))
    assert board_users(redis, keys.quiz_board(quiz["id"])) == [bob["id"]]
    assert not [k for k in redis.scan_iter(count=1000) if alice["id"] in k]


@pytest.mark.parametrize("query", [
    "?limit=0", "?limit=101", "?limit=abc", "?limit=", "?limit=1.5", "?limit=+5", "?offset=-1",
    "?limit=5&limit=6", "?offset=99999999999",
])
def test_bad_page_queries_get_the_envelope(quiz, player, query):
    _, client = player()
    resp = client.get(f"/api/v1/quizzes/{quiz['id']}/leaderboard{query}")
    assert resp.status_code == 400, (query, resp.content)
    assert resp.json()["error"]["code"] == "invalid"


@pytest.mark.parametrize("query", ["?around=-1", "?around=51", "?around=x", "?around=", "?around=1&around=2"])
def test_bad_around_gets_the_envelope(quiz, player, query):
    _, client = player()
    resp = client.get(f"/api/v1/quizzes/{quiz['id']}/leaderboard/me{query}")
    assert resp.status_code == 400, (query, resp.content)
    assert resp.json()["error"]["code"] == "invalid"


@pytest.mark.parametrize("quiz_id", ["0123456789abcdef", "nothex", "0123456789ABCDEF", "1" * 17])
def test_unknown_or_malformed_quiz_ids_are_404(player, quiz_id):
    _, client = player()
    for path in ("leaderboard", "leaderboard/me"):
        resp = client.get(f"/api/v1/quizzes/{quiz_id}/{path}")
        assert resp.status_code == 404, (quiz_id, resp.content)
        assert resp.json()["error"]["code"] == "not_found"


def test_anonymous_reads_are_401_and_writes_405(quiz, api, player):
    resp = api.get(f"/api/v1/quizzes/{quiz['id']}/leaderboard")
    assert resp.status_code == 401 and "error" in resp.json()
    _, client = player()
    assert client.post(f"/api/v1/quizzes/{quiz['id']}/leaderboard", {}, format="json").status_code == 405


def test_the_browsable_api_shows_the_quiz_boards(quiz, player, run_worker):
    alice, a = player("alice")
    _scored(run_worker, quiz["id"], (a, RIGHT))
    detail = a.get(f"/api/v1/quizzes/{quiz['id']}", HTTP_ACCEPT="text/html").content.decode()
    assert f"/api/v1/quizzes/{quiz['id']}/leaderboard/" in detail or f"/api/v1/quizzes/{quiz['id']}/leaderboard" in detail
    assert "Quiz leaderboard" in detail and "My rank on the quiz" in detail  # the extra actions menu
    for path in ("leaderboard", "leaderboard/me"):
        page = a.get(f"/api/v1/quizzes/{quiz['id']}/{path}", HTTP_ACCEPT="text/html")
        assert page.status_code == 200 and page["Content-Type"].startswith("text/html"), path
        assert alice["id"] in page.content.decode()


def test_a_parked_entry_of_a_deleted_quiz_never_brings_its_board_back(admin_client, quiz, player, run_worker, redis):
    (alice, a), (bob, b) = player("alice"), player("bob")
    _scored(run_worker, quiz["id"], (a, RIGHT), (b, LOW))
    a.patch("/api/v1/me", {"public": False}, format="json")  # her quiz board entry is parked
    admin_client.post(f"/api/v1/users/{bob['id']}/ban", {"reason": "x"}, format="json")
    assert admin_client.delete(f"/api/v1/quizzes/{quiz['id']}").status_code == 204
    a.patch("/api/v1/me", {"public": True}, format="json")
    admin_client.post(f"/api/v1/users/{bob['id']}/unban", {}, format="json")
    assert not redis.exists(keys.quiz_board(quiz["id"]), keys.quiz_board_members(quiz["id"]))
    assert a.get("/api/v1/me").json()["rank"] == 1  # the other boards came back
    for user in (alice, bob):
        assert not redis.exists(account_keys.user_parked(user["id"]))
