"""A small, believable data set for a development Redis (`manage.py demo_data`, `make demo`).

Everything goes through the services a real user's requests reach: accounts are registered
(`user_create`), quizzes created (`quiz_create`), answers submitted (`submission_create`) and
scored by the score job's own path (`scoring.submission_score`), with `now` set to days in the
past so the scores spread over the last week (the job would stamp them with the moment it ran).
The score jobs the accept script enqueued are then dropped from RQ (the submission is scored;
a worker would find it already applied and do nothing).

What the demo wrote is listed in its marker (`quizzes.keys.demo`): a Redis holding a user or a
quiz not listed there holds someone's data, and the demo leaves it alone unless forced. A second
run finds what the first wrote and adds only what is missing.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

import django_rq
from django.conf import settings

from accounts import keys as account_keys
from accounts import services as account_services
from config.http.exceptions import Conflict
from config.redis.clients import redis_client
from quizzes import keys, scoring, services

ADMIN = "demo-admin"
ADMIN_PASSWORD = "demo-admin-password"
LEARNER_PASSWORD = "demo-learner-password"
DAYS = 7
SEED = 22

LEARNERS = [
    "ada", "alan", "amara", "bjorn", "carmen", "chen", "dara", "diego", "elif", "emeka", "farah", "felix",
    "grace", "hana", "ines", "ivan", "jamal", "jun", "kofi", "lena", "leo", "maya", "mei", "nadia",
    "nils", "omar", "priya", "quinn", "rosa", "sami", "sofia", "tariq", "uma", "vera", "wren", "yusuf",
]


def _q(text: str, choices: list[str], answer: int, points: int = 10) -> dict:
    return {"text": text, "choices": choices, "answer": answer, "points": points}


QUIZZES = [
    {"title": "Mental arithmetic", "questions": [
        _q("7 x 8 = ?", ["54", "56", "64", "48"], 1),
        _q("144 / 12 = ?", ["11", "12", "14"], 1),
        _q("15% of 200 = ?", ["15", "30", "20", "35"], 1),
        _q("2 to the power 10 = ?", ["1000", "1024", "2048"], 1, 20),
        _q("The square root of 169 = ?", ["12", "13", "14", "17"], 1),
    ]},
    {"title": "World capitals", "questions": [
        _q("The capital of Australia?", ["Sydney", "Melbourne", "Canberra"], 2),
        _q("The capital of Canada?", ["Toronto", "Ottawa", "Montreal", "Vancouver"], 1),
        _q("The capital of Kenya?", ["Nairobi", "Mombasa", "Kampala"], 0),
        _q("The capital of Brazil?", ["Rio de Janeiro", "Sao Paulo", "Brasilia"], 2, 20),
        _q("The capital of Norway?", ["Oslo", "Bergen", "Stockholm", "Helsinki"], 0),
        _q("The capital of Vietnam?", ["Ho Chi Minh City", "Hanoi", "Hue"], 1),
    ]},
    {"title": "Python basics", "questions": [
        _q("len([1, [2, 3], 4]) = ?", ["3", "4", "2"], 0),
        _q("Which of these is immutable?", ["list", "dict", "tuple", "set"], 2),
        _q("What does 3 // 2 give?", ["1.5", "1", "2"], 1),
        _q("'abc'[::-1] = ?", ["'abc'", "'cba'", "'c'", "an error"], 1, 20),
        _q("Which keyword makes a generator?", ["return", "yield", "async", "lambda"], 1),
    ]},
]


class ForeignData(Exception):
    """Redis holds users or quizzes the demo did not write."""


@dataclass
class DemoReport:
    learners_created: int = 0
    quizzes_created: int = 0
    scored: int = 0
    learners: int = 0
    quizzes: int = 0
    foreign_users: int = 0
    foreign_quizzes: int = 0
    days: set = field(default_factory=set)


def demo_foreign() -> tuple[int, int]:
    """How many users and quizzes Redis holds that no demo run wrote."""
    client = redis_client()
    with client.pipeline(transaction=False) as pipe:
        pipe.hvals(account_keys.users_by_name())
        pipe.zrange(keys.quizzes_index(), 0, -1)
        pipe.hkeys(keys.demo())
        user_ids, quiz_ids, written = pipe.execute()
    written = set(written)
    return (sum(f"user:{uid}" not in written for uid in user_ids),
            sum(f"quiz:{qid}" not in written for qid in quiz_ids))


def demo_fill(*, force: bool = False, now: datetime | None = None, learners: int = len(LEARNERS)) -> DemoReport:
    """Write the demo's admin, learners, quizzes and a week of scores; raise ForeignData unless forced."""
    now = now or datetime.now(timezone.utc)
    report = DemoReport()
    report.foreign_users, report.foreign_quizzes = demo_foreign()
    if (report.foreign_users or report.foreign_quizzes) and not force:
        raise ForeignData(f"Redis holds {report.foreign_users} users and {report.foreign_quizzes} quizzes "
                          "the demo did not write")
    _account(ADMIN, ADMIN_PASSWORD, account_services.ROLE_ADMIN, report)
    people = [uid for name in LEARNERS[:learners] if (uid := _account(name, LEARNER_PASSWORD, "user", report))]
    quizzes = [_quiz(definition, now - timedelta(days=DAYS), report) for definition in QUIZZES]
    report.learners, report.quizzes = len(people), len(quizzes)
    rng, client = random.Random(SEED), redis_client()
    if client.hexists(keys.demo(), "done"):
        return report  # an earlier run scored the attempts; a run cut short left no "done"
    for uid in people:
        skill = rng.uniform(0.35, 0.95)
        for quiz in quizzes:
            tries = 0 if rng.random() < 0.2 else 1 + (rng.random() < 0.3)  # not everyone tried each; some twice
            if client.hexists(keys.user_best(uid), quiz["id"]):
                continue  # scored by a run cut short
            for _ in range(tries):
                at = now - timedelta(days=rng.randrange(DAYS), hours=rng.randrange(12), minutes=rng.randrange(60))
                _attempt(uid, quiz, skill, at, rng, report)
    redis_client().hset(keys.demo(), "done", now.isoformat())
    return report


def _account(name: str, password: str, role: str, report: DemoReport) -> str | None:
    """The demo's account `name`: created now, or the one an earlier run created (None: someone else's)."""
    client = redis_client()
    try:
        user = account_services.user_create(username=name, password=password, role=role)
    except Conflict:
        uid = client.hget(account_keys.users_by_name(), name.lower())
        return uid if client.hexists(keys.demo(), f"user:{uid}") else None
    client.hset(keys.demo(), f"user:{user['id']}", name)
    report.learners_created += role != account_services.ROLE_ADMIN
    return user["id"]


def _quiz(definition: dict, created: datetime, report: DemoReport) -> dict:
    """The demo's quiz of this title: created now, or the one an earlier run created."""
    client = redis_client()
    written = client.hgetall(keys.demo())
    for field_name, title in written.items():
        if field_name.startswith("quiz:") and title == definition["title"]:
            quiz_id = field_name.removeprefix("quiz:")
            if client.exists(keys.quiz(quiz_id)):
                return {"id": quiz_id, **definition}
    quiz = services.quiz_create(title=definition["title"], questions=definition["questions"], now=created)
    client.hset(keys.demo(), f"quiz:{quiz['id']}", definition["title"])
    report.quizzes_created += 1
    return {"id": quiz["id"], **definition}


def _attempt(uid: str, quiz: dict, skill: float, at: datetime, rng: random.Random, report: DemoReport) -> None:
    """Submit one attempt and score it as the score job would have at `at`."""
    answers = [q["answer"] if rng.random() < skill else rng.choice([c for c in range(len(q["choices"]))
                                                                      if c != q["answer"]])
               for q in quiz["questions"]]
    accepted = services.submission_create(user_id=uid, quiz_id=quiz["id"], answers=answers, now=at)
    scoring.submission_score(submission_id=accepted.id, quiz_id=quiz["id"], user_id=uid, now=at)
    _drop_score_job(accepted.id)
    report.scored += 1
    report.days.add(at.date())


def _drop_score_job(job_id: str) -> None:
    """Remove the score job the accept script enqueued, if no worker took it: the submission is scored.

    With `make run` up, a worker may have taken the job already; it finds the score applied and
    does nothing, so that job is left to it (deleting a job a worker holds fails in RQ).
    """
    if settings.SUBMISSIONS_VIA_OUTBOX:
        return  # the relay enqueues it later; the worker then finds the score applied and does nothing
    queue = django_rq.get_queue(settings.SCORE_QUEUE)
    if queue.connection.lrem(queue.key, 1, job_id):  # atomic: still waiting, so no worker has it
        job = queue.fetch_job(job_id)
        if job is not None:
            job.delete(remove_from_queue=False)
