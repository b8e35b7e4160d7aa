"""Score-job throughput of one RQ worker: the score job against a no-op job on the same worker.

    .venv/bin/python -m bench.worker_throughput [--quick]

Runs on its own disposable redis-server (config.dev.embedded_redis, a free port). Submissions go
through the real accept path (`services.submission_create`, so the jobs are the ones the API
writes); each is a user's first attempt at that quiz, so every job takes the full path (best
score, profile, three boards, events). A no-op job on the same queue is RQ's own floor.

Figures: jobs/s of the score job and of the no-op job on SimpleWorker (the Procfile's worker
class: no fork per job), their ratio (target >= 0.8), and the same pair on the forking
`rq.worker.Worker` for comparison. Each is the median over batches of score and no-op jobs
queued alternately and drained by one burst worker, so both kinds run under the same load
(this box is shared); a batch is timed by its jobs' `ended_at` stamps.
"""
from __future__ import annotations

import argparse
import itertools
import random
import statistics
import sys
import time

USERS = 300
QUIZZES = 25  # USERS * QUIZZES first attempts: enough for every round below
QUESTIONS = 10


def noop() -> None:
    """The floor: a job that does nothing."""


def _seed() -> tuple[list[str], list[str]]:
    """Create users and quizzes; return their ids."""
    from accounts.services import user_create
    from quizzes.services import quiz_create

    users = [user_create(username=f"worker{i}", password="bench-password-1")["id"] for i in range(USERS)]
    questions = [
        {"text": f"Question {i}", "choices": ["a", "b", "c", "d"], "answer": i % 4, "points": 10}
        for i in range(QUESTIONS)
    ]
    quizzes = [quiz_create(title=f"Quiz {i}", questions=questions)["id"] for i in range(QUIZZES)]
    return users, quizzes


def _enqueue_scores(pairs, count: int) -> list[str]:
    """Submit `count` first attempts through the accept path; return the job ids."""
    from quizzes.services import submission_create

    answers = lambda: [random.randrange(4) for _ in range(QUESTIONS)]  # noqa: E731
    return [
        submission_create(user_id=user, quiz_id=quiz, answers=answers()).id
        for user, quiz in itertools.islice(pairs, count)
    ]


def _enqueue_noops(queue, count: int) -> list[str]:
    # By path: run as a script, this module is __main__, which a worker cannot import.
    return [queue.enqueue("bench.worker_throughput.noop").id for _ in range(count)]


def _run_batches(worker_class, queue, batches: list[tuple[str, list[str]]]) -> dict[str, list[float]]:
    """Drain queued batches with one burst worker; return jobs/s per batch, by kind.

    A batch's time runs from the end of the batch before it to the end of its own last job, so
    alternating batches share the machine's conditions; the first batch only warms the worker
    up (its start-up is not counted, nor is its teardown).
    """
    from rq.job import Job

    worker = worker_class([queue], connection=queue.connection)
    worker.work(burst=True, logging_level="WARNING")
    rates: dict[str, list[float]] = {}
    previous_end = None
    for kind, job_ids in batches:
        jobs = Job.fetch_many(job_ids, connection=queue.connection)
        unfinished = [job_id for job_id, job in zip(job_ids, jobs) if job is None or job.get_status() != "finished"]
        if unfinished:
            raise RuntimeError(f"{len(unfinished)} {kind} jobs did not finish, e.g. {unfinished[0]}")
        end = max(job.ended_at for job in jobs)
        if previous_end is not None:
            rates.setdefault(kind, []).append(len(job_ids) / (end - previous_end).total_seconds())
        previous_end = end
    return rates


def _pair(worker_class, queue, pairs, jobs: int, rounds: int) -> tuple[float, float, float]:
    """Median jobs/s of the score job and of the no-op job, and the median of their ratios.

    Batches alternate on one worker; each score batch is compared with the no-op batch right
    after it, so slow swings in the machine's load cancel out of the ratio.
    """
    batches = [("warm-up", _enqueue_noops(queue, 5))]
    for _ in range(rounds):
        batches.append(("score", _enqueue_scores(pairs, jobs)))
        batches.append(("noop", _enqueue_noops(queue, jobs)))
    rates = _run_batches(worker_class, queue, batches)
    ratios = [score / noop for score, noop in zip(rates["score"], rates["noop"])]
    return statistics.median(rates["score"]), statistics.median(rates["noop"]), statistics.median(ratios)


def _figure(name: str, value: float, unit: str, note: str = "", baseline: float | None = None,
            target: tuple[str, float] | None = None) -> dict:
    """A figure as bench.report expects it (the main table shows value / baseline as the ratio)."""
    return {
        "name": name, "value": round(value, 2), "unit": unit, "note": note, "target": target,
        "baseline": None if baseline is None else round(baseline, 2),
        "baseline_label": "" if baseline is None else "no-op job",
    }


def measure(*, quick: bool = False) -> list[dict]:
    """Seed the private Redis, measure both worker classes, return the figures."""
    import django_rq
    from django.conf import settings
    from rq.worker import SimpleWorker, Worker

    users, quizzes = _seed()
    pairs = iter([(u, q) for q in quizzes for u in users])
    queue = django_rq.get_queue(settings.SCORE_QUEUE)
    (simple_jobs, simple_rounds), (fork_jobs, fork_rounds) = ((50, 6), (15, 3)) if quick else ((60, 30), (20, 6))
    simple = _pair(SimpleWorker, queue, pairs, simple_jobs, simple_rounds)
    forking = _pair(Worker, queue, pairs, fork_jobs, fork_rounds)
    batches = "medians of {} alternating batches of {} jobs"
    return [
        _figure("score job, SimpleWorker", simple[0], "jobs/s", batches.format(simple_rounds, simple_jobs), simple[1]),
        _figure("score / no-op, SimpleWorker", simple[2], "x", "median of paired batch ratios", target=(">=", 0.8)),
        _figure("score job, forking Worker", forking[0], "jobs/s", batches.format(fork_rounds, fork_jobs), forking[1]),
        _figure("score / no-op, forking Worker", forking[2], "x", "median of paired batch ratios"),
        _figure("score job: forking / SimpleWorker", forking[0] / simple[0], "x", "ratio of the medians"),
    ]


def run(quick: bool = False) -> list[dict]:
    """Entry point for `python -m bench` (bench.external): figures from a private Redis."""
    from bench.common import PrivateRedis, setup_django

    redis = PrivateRedis().start()
    try:
        setup_django(redis.url)
        return measure(quick=quick)
    finally:
        redis.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.worker_throughput", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer jobs (noisier figures)")
    args = parser.parse_args(argv)
    began = time.monotonic()
    for fig in run(quick=args.quick):
        versus = f"   no-op job {fig['baseline']:.1f} {fig['unit']}" if fig["baseline"] else ""
        target = f"   (target {fig['target'][0]} {fig['target'][1]})" if fig["target"] else ""
        print(f"{fig['name']:<36} {fig['value']:>8.2f} {fig['unit']:<6}{versus}{target}   {fig['note']}")
    print(f"took {time.monotonic() - began:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
