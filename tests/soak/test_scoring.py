"""Soak: 1,000 submissions by 50 users scored by four worker processes at once, a fifth of the jobs
delivered twice: every total, best score and board position equals the sum computed here.

The answers are drawn from a seeded generator and graded here independently of the Lua
script, so the expected state is known exactly. Scoring rule (API.md): a user's total is the sum
over quizzes of their best score on each, so repeats only add an improvement.
"""
from __future__ import annotations

import random
import subprocess
import sys
from collections import defaultdict

from accounts import keys as account_keys
from accounts import services as account_services
from leaderboard import keys as lb_keys
from leaderboard.encoding import decode_points, member_user
from quizzes import keys as quiz_keys
from quizzes import services as quiz_services
from rq.job import Job
from tests.processes import ROOT, process_env

USERS = 50
PER_USER = 20  # 1,000 submissions in all
WORKERS = 4
DUPLICATES = 200
POINTS = [1, 2, 4, 8, 16]  # every subset of right answers has its own score
SEED = 20240607


def _quiz(n: int, rng: random.Random) -> dict:
    questions = []
    for i, points in enumerate(POINTS):
        choices = rng.randint(2, 4)
        questions.append({"text": f"Q{n}.{i}", "choices": [str(c) for c in range(choices)],
                          "answer": rng.randrange(choices), "points": points})
    return quiz_services.quiz_create(title=f"Soak {n}", questions=questions)


def _grade(quiz: dict, answers: list[int]) -> int:
    return sum(q["points"] for q, a in zip(quiz["questions"], answers) if q["answer"] == a)


def _run_workers() -> None:
    command = [sys.executable, "manage.py", "rqworker", "--burst", "--worker-class",
               "config.jobs.worker.ResilientSimpleWorker", "scores"]
    procs = [subprocess.Popen(command, cwd=ROOT, env=process_env(), stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE) for _ in range(WORKERS)]
    for proc in procs:
        _, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err.decode()[-3000:]


def test_a_thousand_concurrent_scores_add_up_exactly(redis, api, auth_client, score_queue):
    rng = random.Random(SEED)
    quizzes = [_quiz(n, rng) for n in range(4)]
    users = [account_services.user_create(username=f"soak{u}", password="x" * 8) for u in range(USERS)]
    best: dict[str, dict[str, int]] = defaultdict(dict)
    submitted: dict[str, int] = {}
    for _ in range(PER_USER):
        for user in users:
            quiz = rng.choice(quizzes)
            answers = [rng.randrange(len(q["choices"])) for q in quiz["questions"]]
            accepted = quiz_services.submission_create(user_id=user["id"], quiz_id=quiz["id"], answers=answers)
            score = _grade(quiz, answers)
            submitted[accepted.id] = score
            held = best[user["id"]].get(quiz["id"])
            best[user["id"]][quiz["id"]] = score if held is None else max(held, score)
    redis.rpush(score_queue.key, *rng.sample(sorted(submitted), DUPLICATES))  # delivered twice

    _run_workers()

    totals = {uid: sum(per_quiz.values()) for uid, per_quiz in best.items()}
    _assert_submissions(redis, submitted)
    _assert_profiles(redis, users, best, totals)
    _assert_boards(redis, api, auth_client, users, totals)
    _assert_applied_once(score_queue, submitted)


def _assert_submissions(redis, submitted: dict[str, int]) -> None:
    pipe = redis.pipeline(transaction=False)
    for submission_id in submitted:
        pipe.hmget(quiz_keys.submission(submission_id), "status", "score")
    rows = pipe.execute()
    assert [status for status, _ in rows] == ["processed"] * len(submitted)
    assert [int(score) for _, score in rows] == list(submitted.values())


def _assert_profiles(redis, users, best, totals) -> None:
    for user in users:
        uid = user["id"]
        profile = redis.hmget(account_keys.user_profile(uid), "total_score", "quizzes_solved")
        assert (int(profile[0]), int(profile[1])) == (totals[uid], len(best[uid])), user["username"]
        stored_best = {qid: int(score) for qid, score in redis.hgetall(quiz_keys.user_best(uid)).items()}
        assert stored_best == best[uid]


def _assert_boards(redis, api, auth_client, users, totals) -> None:
    ranked = {uid: total for uid, total in totals.items() if total > 0}  # no points, no entry
    board = {member_user(m): decode_points(score) for m, score in redis.zrange(lb_keys.board("all"), 0, -1, withscores=True)}
    assert board == ranked
    for period in ("day", "week"):  # points earned per period add up to the same totals
        earned: dict[str, int] = defaultdict(int)
        for key in redis.scan_iter(match=lb_keys.board(period).rsplit(":", 1)[0] + ":*", _type="zset"):
            for member, score in redis.zrange(key, 0, -1, withscores=True):
                earned[member_user(member)] += decode_points(score)
        assert dict(earned) == ranked, period

    token = account_services.session_create(user=users[0]).token
    page = auth_client(token).get("/api/v1/leaderboard?limit=100").json()
    assert page["total"] == len(ranked)
    assert [e["rank"] for e in page["entries"]] == list(range(1, len(ranked) + 1))
    assert [e["score"] for e in page["entries"]] == sorted(ranked.values(), reverse=True)
    assert {e["user_id"]: e["score"] for e in page["entries"]} == ranked


def _assert_applied_once(queue, submitted: dict[str, int]) -> None:
    """Each job ran once or twice; exactly one run applied its score (the job returns that)."""
    for job in Job.fetch_many(list(submitted), connection=queue.connection):
        runs = [result.return_value for result in job.results()]
        assert runs.count(True) == 1 and set(runs) <= {True, False}, (job.id, runs)
