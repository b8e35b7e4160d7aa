"""Exact tie order at any rate, and exact points far above the old 4,194,303 ceiling."""
from __future__ import annotations

import json
import random

from accounts import keys as account_keys
from leaderboard import keys
from leaderboard.services import board_put
from quizzes import services, tasks
from tests.boards import board_points
from tests.quizzes.conftest import MAX_SCORE, RIGHT, submit

BIG = 2**40 - 1


def test_fifty_users_reaching_the_same_score_at_once_rank_in_processing_order(quiz, player, run_worker):
    players = [player() for _ in range(50)]
    random.Random(7).shuffle(players)  # user ids in no particular order relative to submissions
    for _, client in players:  # a tight loop: all within the same second or two
        assert submit(client, quiz["id"], RIGHT).status_code == 202
    assert run_worker()  # one worker: jobs are processed in the order they were queued

    _, client = players[0]
    page = client.get("/api/v1/leaderboard?limit=50").json()
    assert [e["user_id"] for e in page["entries"]] == [user["id"] for user, _ in players]
    assert {e["score"] for e in page["entries"]} == {MAX_SCORE}
    assert [e["rank"] for e in page["entries"]] == list(range(1, 51))
    for position in (0, 24, 49):
        user, own = players[position]
        assert own.get("/api/v1/leaderboard/me?around=1").json()["rank"] == position + 1
        assert own.get("/api/v1/me").json()["rank"] == position + 1


def test_a_user_at_two_to_the_forty_minus_one_ranks_and_reads_back_exactly(quiz, player, redis):
    (top, top_client), (tied, _), (below, _) = player(), player(), player()
    # `top` gets there by scoring: 35 points from the real score job onto BIG - 35.
    board_put(entries=[(top["id"], BIG - MAX_SCORE)])
    redis.hset(account_keys.user_profile(top["id"]), "total_score", BIG - MAX_SCORE)
    board_put(entries=[(below["id"], BIG - 1)])
    accepted = services.submission_create(user_id=top["id"], quiz_id=quiz["id"], answers=RIGHT)
    assert tasks.submission_score(submission_id=accepted.id, quiz_id=quiz["id"], user_id=top["id"])
    board_put(entries=[(tied["id"], BIG)])  # equal points, reached later

    assert board_points(redis, keys.board("all"), top["id"]) == BIG
    page = top_client.get("/api/v1/leaderboard").json()
    assert [(e["user_id"], e["score"]) for e in page["entries"]] == [
        (top["id"], BIG), (tied["id"], BIG), (below["id"], BIG - 1)
    ]
    assert top_client.get("/api/v1/me").json()["total_score"] == BIG
    assert top_client.get("/api/v1/leaderboard/me?around=0").json()["score"] == BIG
    assert top_client.get(f"/api/v1/leaderboard/users/{tied['id']}").json() == {"rank": 2, "score": BIG}
    # The live top 10 the score job published carries the exact points too.
    published = json.loads(redis.get(keys.top_published()))
    assert published["entries"][0] == {"rank": 1, "user_id": top["id"], "username": top["username"], "score": BIG}
