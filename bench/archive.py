"""What the PostgreSQL archive costs and saves, same run, against its own baselines.

    .venv/bin/python -m bench.archive            # about a minute
    .venv/bin/python -m bench.archive --quick    # 10^4 submissions for results, fewer users

Runs on a private redis-server and a private PostgreSQL (initdb in a temp dir, the test
suite's tests/postgres_server.py), never the machine's own. Figures:

- Redis memory per user after 100 processed submissions each (INFO used_memory delta), archive
  off, archive on right after archiving (hashes kept SUBMISSION_REDIS_SECONDS), and archive on
  once they have expired; RQ's job hashes are removed in every variant alike;
- archiver throughput (entries/s through `archive_drain`) against the scoring rate (score
  jobs/s of one RQ SimpleWorker in burst mode, the Procfile's worker class);
- results miss at 10^5 processed submissions of one quiz version: one SQL query, Redis in
  chunks of RESULTS_REDIS_CHUNK, and the former single pipeline (the same aggregation with
  one chunk), plus the longest single command Redis ran during each Redis read (SLOWLOG);
- submission accept: POST req/s over HTTP on two Procfile web servers, DATABASE_URL set and
  unset, alternating rounds (with it set, the accept script appends the `submission.queued`
  archive entry that lets rebuild_redis queue an unscored submission again).
"""
from __future__ import annotations

import os
import sys
import time
import uuid
from datetime import datetime, timedelta, timezone

from bench.common import flush_data

QUIZ = {
    "title": "Bench",
    "questions": [
        {"text": f"Q{i}", "choices": ["a", "b", "c"], "answer": i % 3, "points": 10} for i in range(5)
    ],
}
ANSWERS = [[i % 3 for i in range(5)], [0, 0, 0, 0, 0], [1, 1, 1, 1, 1], [2, 1, 0, 0, 1]]


def _figure(name, value, unit, *, baseline=None, label="", target=None, note="") -> dict:
    return {"name": name, "value": round(value, 3), "unit": unit, "baseline": None if baseline is None else round(baseline, 3),
            "baseline_label": label, "target": target, "note": note}


def _drop_rq(client) -> None:
    keys = list(client.scan_iter("rq:*", count=1000))
    for start in range(0, len(keys), 1000):
        client.delete(*keys[start:start + 1000])


def _score_users(users: int, each: int, quiz: dict) -> list[str]:
    from accounts.services import user_create
    from quizzes import scoring, services

    ids = []
    start = datetime.now(timezone.utc)
    for u in range(users):
        user = user_create(username=f"mem{u}-{uuid.uuid4().hex[:6]}", password="bench-password-1")
        for n in range(each):
            accepted = services.submission_create(user_id=user["id"], quiz_id=quiz["id"], answers=ANSWERS[(u + n) % 4])
            scoring.submission_score(submission_id=accepted.id, quiz_id=quiz["id"], user_id=user["id"],
                                     now=start + timedelta(seconds=n))
            ids.append(accepted.id)
    return ids


def memory_per_user(settings, client, quick: bool) -> list[dict]:
    from config.outbox.archiver import archive_drain
    from config.redis.keys import outbox_stream
    from quizzes import keys, services

    users = 10 if quick else 30
    figures, per_user = [], {}
    for variant in ("off", "on"):
        flush_data(client)
        settings.ARCHIVE_ENABLED = variant == "on"
        quiz = services.quiz_create(**QUIZ)
        before = client.info("memory")["used_memory"]
        ids = _score_users(users, 100, quiz)
        _drop_rq(client)
        if variant == "on":
            per_user["entry"] = client.memory_usage(outbox_stream(), samples=0) / client.xlen(outbox_stream())
            archive_drain()
        per_user[variant] = (client.info("memory")["used_memory"] - before) / users
        if variant == "on":
            for start in range(0, len(ids), 1000):  # what SUBMISSION_REDIS_SECONDS does to them
                client.delete(*(keys.submission(sid) for sid in ids[start:start + 1000]))
            per_user["expired"] = (client.info("memory")["used_memory"] - before) / users
    figures.append(_figure("Redis memory per user, 100 processed submissions, archive off", per_user["off"], "B"))
    figures.append(_figure("outbox Stream memory per unarchived entry (MEMORY USAGE / XLEN)", per_user["entry"], "B"))
    figures.append(_figure("... archive on, just archived (hashes kept 7 days)", per_user["on"], "B",
                           baseline=per_user["off"], label="archive off"))
    figures.append(_figure("... archive on, after the hashes expired", per_user["expired"], "B",
                           baseline=per_user["off"], label="archive off"))
    return figures


def archiver_vs_scoring(settings, client, quick: bool) -> list[dict]:
    import django_rq
    from rq.worker import SimpleWorker

    from accounts.services import user_create
    from config.outbox.archiver import archive_drain
    from quizzes import services

    flush_data(client)
    settings.ARCHIVE_ENABLED = True
    quiz = services.quiz_create(**QUIZ)
    users = [user_create(username=f"rate{u}-{uuid.uuid4().hex[:6]}", password="bench-password-1") for u in range(50)]
    archive_drain()
    count = 1000 if quick else 3000
    for n in range(count):
        services.submission_create(user_id=users[n % 50]["id"], quiz_id=quiz["id"], answers=ANSWERS[n % 4])
    queue = django_rq.get_queue(settings.SCORE_QUEUE)
    began = time.perf_counter()
    SimpleWorker([queue], connection=queue.connection).work(burst=True, logging_level="WARNING")
    scoring_rate = count / (time.perf_counter() - began)
    began = time.perf_counter()
    archived = archive_drain()
    archive_rate = archived / (time.perf_counter() - began)
    return [_figure("archiver throughput (entries/s, batch 500)", archive_rate, "/s", baseline=scoring_rate,
                    label="score jobs/s, one SimpleWorker (burst)", target=(">=", 5.0), note=f"{archived} entries")]


def _redis_longest_zrange(client, read) -> float:
    """Run `read`; return the longest ZRANGE Redis executed meanwhile (SLOWLOG, ms).

    ZRANGE is the read's only command whose cost grows with the quiz (an HMGET reads one small
    hash); the longest of any command would mostly measure this shared machine's preemptions.
    """
    client.config_set("slowlog-log-slower-than", 0)
    client.config_set("slowlog-max-len", 1_000_000)
    client.slowlog_reset()
    try:
        read()
        entries = client.execute_command("SLOWLOG", "GET", -1)
    finally:
        client.config_set("slowlog-log-slower-than", 10000)
        client.config_set("slowlog-max-len", 128)
        client.slowlog_reset()
    return max(entry[2] for entry in entries if str(entry[3][0]).lower() in ("zrange", "b'zrange'")) / 1000


def _seed_results(client, quiz: dict, count: int) -> None:
    """Write `count` processed submissions of version 1 straight into Redis and PostgreSQL."""
    from django.db import connection

    from quizzes import keys

    users = [uuid.uuid4().hex[:16] for _ in range(max(10, count // 20))]
    rows = []
    now = datetime.now(timezone.utc).replace(microsecond=0)
    for n in range(count):
        score = (n * 7) % 51
        mask = ",".join("1" if (n >> b) & 1 else "0" for b in range(5))
        rows.append((uuid.uuid4().hex, users[n % len(users)], score, mask, now - timedelta(seconds=n)))
    pipe = client.pipeline(transaction=False)
    for sid, uid, score, mask, at in rows:
        stamp = at.isoformat().replace("+00:00", "Z")
        pipe.hset(keys.submission(sid), mapping={"id": sid, "user_id": uid, "quiz_id": quiz["id"], "quiz_version": 1,
                                                 "status": "processed", "score": score, "correct_mask": mask,
                                                 "processed_at": stamp})
        pipe.zadd(keys.quiz_submissions(quiz["id"]), {sid: int(at.timestamp() * 1000)})
        if len(pipe) >= 2000:
            pipe.execute()
    pipe.execute()
    with connection.cursor() as cursor:
        cursor.executemany(
            "INSERT INTO quizzes_submission (id, user_id, quiz_id, quiz_version, answers, score, max_score, correct,"
            " correct_mask, created_at, created_ms, processed_at, scored_at, gain, seq)"
            " VALUES (%s, %s, %s, 1, '0,0,0,0,0', %s, 50, 0, %s, %s, 0, %s, 0, 0, 0)",
            [(sid, uid, quiz["id"], score, mask, at, at) for sid, uid, score, mask, at in rows],
        )
        cursor.execute("ANALYZE quizzes_submission")


def results_miss(settings, client, quick: bool) -> list[dict]:
    from quizzes import selectors, services

    flush_data(client)
    settings.ARCHIVE_ENABLED = False
    quiz = services.quiz_create(**QUIZ)
    count = 10_000 if quick else 100_000
    _seed_results(client, quiz, count)
    args = dict(quiz_id=quiz["id"], version=1, max_score=50, question_count=5)
    width = selectors._bucket_width(50)
    single = lambda: selectors.results_aggregate_redis(quiz_id=quiz["id"], version=1, width=width, chunk=10**9)  # noqa: E731
    chunked = lambda: selectors.results_aggregate_redis(quiz_id=quiz["id"], version=1, width=width)  # noqa: E731
    best = {"sql": 1e9, "chunked": 1e9, "pipeline": 1e9}
    for _ in range(3):
        for name, read in (("sql", None), ("chunked", chunked), ("pipeline", single)):
            settings.ARCHIVE_ENABLED = name == "sql"
            t = time.perf_counter()
            if read is None:
                sql = selectors.results_compute(**args)
            else:
                read()
            best[name] = min(best[name], time.perf_counter() - t)
    settings.ARCHIVE_ENABLED = False
    assert sql == selectors.results_compute(**args), "the SQL and Redis results differ"
    busiest = {"chunked": _redis_longest_zrange(client, chunked), "pipeline": _redis_longest_zrange(client, single)}
    label = f"one pipeline ({count:,} HMGETs)"
    ms = lambda s: s * 1000  # noqa: E731
    return [
        _figure(f"results miss at {count:,} submissions: one SQL query", ms(best["sql"]), "ms",
                baseline=ms(best["pipeline"]), label=label),
        _figure(f"results miss at {count:,}: Redis in chunks of {settings.RESULTS_REDIS_CHUNK}", ms(best["chunked"]), "ms",
                baseline=ms(best["pipeline"]), label=label),
        _figure(f"results miss at {count:,}: the former single pipeline", ms(best["pipeline"]), "ms"),
        _figure("longest Redis command (ZRANGE) during a miss: chunked", busiest["chunked"], "ms",
                baseline=busiest["pipeline"], label="single pipeline (ZRANGE 0 -1)"),
    ]


def accept_over_http(settings, redis_url: str, quick: bool) -> list[dict]:
    """POST submissions req/s on two Procfile web servers, DATABASE_URL set vs unset, alternating."""
    from bench.common import seed_users
    from bench.http_api import procfile_web_server
    from bench.http_load import http_load
    from bench.roundtrips import ANSWERS as BODY
    from bench.roundtrips import create_quiz
    from config.redis.clients import redis_client

    flush_data()
    settings.ARCHIVE_ENABLED = False
    tokens = [u["token"] for u in seed_users(300 if quick else 600, prefix="archttp")]
    path = f"/api/v1/quizzes/{create_quiz(seed_users(1, prefix='archadmin', role='admin')[0]['token'])}/submissions"
    rate, seconds, best = "1000000/60s", 3 if quick else 4, {"off": 0.0, "on": 0.0}
    with procfile_web_server(redis_url, 2, DATABASE_URL="", RATELIMIT_SUBMISSIONS_RATE=rate) as off, \
            procfile_web_server(redis_url, 2, DATABASE_URL=os.environ["DATABASE_URL"], RATELIMIT_SUBMISSIONS_RATE=rate) as on:
        for _ in range(2 if quick else 3):
            for name, srv in (("off", off), ("on", on)):
                res = http_load(srv.url + path, body=BODY, tokens=tokens, seconds=seconds, connections=16)
                if res.non_2xx or res.errors:
                    raise SystemExit(f"archive {name}: {res.non_2xx} non-2xx, {res.errors} errors")
                best[name] = max(best[name], res.rps)
    return [_figure("POST submissions over HTTP req/s, archive on", best["on"], "req/s", baseline=best["off"],
                    label="archive off (DATABASE_URL unset)", target=(">=", 0.9),
                    note="Procfile web x2, best of alternating rounds")]


def run(quick: bool = False) -> list[dict]:
    """Start a private Redis and PostgreSQL, measure, return the figures."""
    from bench.common import PrivateRedis, setup_django
    from tests.postgres_server import PostgresServer, pg_bin_dir

    bin_dir = pg_bin_dir()
    if bin_dir is None:
        return [_figure("archive figures", 0, "", note="skipped: apt-get install -y postgresql")]
    redis = PrivateRedis().start()
    pg = PostgresServer(bin_dir).init().start()
    try:
        os.environ["DATABASE_URL"] = pg.url
        setup_django(redis.url)
        from django.conf import settings
        from django.core.management import call_command

        from config.redis.clients import redis_client

        call_command("migrate", verbosity=0)
        client = redis_client()
        figures = []
        for step in (memory_per_user, archiver_vs_scoring, results_miss):
            figures += step(settings, client, quick)
            print(f"  {step.__name__}: done", file=sys.stderr, flush=True)
        return figures + accept_over_http(settings, redis.url, quick)
    finally:
        pg.destroy()
        redis.stop()


if __name__ == "__main__":
    for figure in run(quick="--quick" in sys.argv):
        print(figure)
