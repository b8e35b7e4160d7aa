"""`GET /api/v1/admin/queues`: django-rq's queue numbers and the cron schedulers, admins only."""
from __future__ import annotations

import django_rq
from django.conf import settings
from django_rq.utils import get_statistics
from rq import SimpleWorker

from accounts import services


def explode() -> None:
    raise RuntimeError("this job fails on purpose")


def _client(auth_client, role: str):
    user = services.user_create(username=f"ops-{role}", password="correct-horse-1", role=role)
    return auth_client(services.session_create(user=user).token)


def test_queue_stats_need_an_admin(api, auth_client):
    anonymous = api.get("/api/v1/admin/queues")
    assert anonymous.status_code == 401 and anonymous.json()["error"]["code"] == "not_authenticated"
    user = _client(auth_client, services.ROLE_USER).get("/api/v1/admin/queues")
    assert user.status_code == 403 and user.json()["error"]["code"] == "forbidden"


def test_queue_stats_report_django_rqs_numbers(auth_client):
    scores = django_rq.get_queue(settings.SCORE_QUEUE)
    scores.enqueue(explode)
    SimpleWorker([scores], connection=scores.connection).work(burst=True)  # one failed job
    scores.enqueue(explode)
    scores.enqueue(explode)  # two waiting
    worker = SimpleWorker([scores], connection=scores.connection)
    worker.register_birth()  # one live worker, as a running `rqworker` would be
    try:
        resp = _client(auth_client, services.ROLE_ADMIN).get("/api/v1/admin/queues")
    finally:
        worker.register_death()

    assert resp.status_code == 200, resp.content
    queues = {q["name"]: q for q in resp.json()["queues"]}
    assert set(queues) == set(settings.RQ_QUEUES)
    assert queues[settings.SCORE_QUEUE] == {
        "name": settings.SCORE_QUEUE, "jobs": 2, "started_jobs": 0, "finished_jobs": 0,
        "failed_jobs": 1, "deferred_jobs": 0, "scheduled_jobs": 0, "workers": 1,
    }
    reference = {q["name"]: q for q in get_statistics()["queues"]}
    for name, row in queues.items():
        assert all(row[field] == reference[name][field] for field in row if field != "workers")


def test_queue_stats_list_live_cron_schedulers_and_their_jobs(auth_client):
    from django_rq.cron import DjangoCronScheduler

    scheduler = DjangoCronScheduler()
    scheduler.load_config_from_file("config.cron")
    scheduler.register_birth()  # what `manage.py rqcron config.cron` does on start
    try:
        resp = _client(auth_client, services.ROLE_ADMIN).get("/api/v1/admin/queues")
    finally:
        scheduler.register_death()

    (live,) = resp.json()["cron_schedulers"]
    assert live["name"] == scheduler.name
    jobs = {job["name"]: job for job in live["jobs"]}
    assert set(jobs) == {"inactive-users-cleanup", "submissions-reconcile", "erasures-resume", "period-boards-retain"}
    assert jobs["period-boards-retain"]["cron"] == settings.PERIOD_RETAIN_CRON
    assert jobs["erasures-resume"]["interval"] == settings.ERASURE_RESUME_AFTER_SECONDS
    job = jobs["inactive-users-cleanup"]
    assert job["cron"] == "17 * * * *"
    assert job["next_enqueue_time"].endswith("Z")
    assert jobs["submissions-reconcile"]["interval"] == settings.SCORE_RECONCILE_EVERY_SECONDS


def test_queue_stats_answer_200_with_an_abandoned_job_in_the_started_registry(web_server, redis):
    """A worker killed mid-job leaves a started entry past its lease: reading stats must not clean it.

    Over the real web server, whose request threads cannot run the failure callback under RQ's
    SIGALRM death penalty (django-rq's statistics did, and answered 500).
    """
    import json
    import urllib.request

    from quizzes import services as quiz_services
    from tests.quizzes.conftest import quiz_body

    admin = services.user_create(username="ops-admin", password="correct-horse-1", role=services.ROLE_ADMIN)
    token = services.session_create(user=admin).token
    player = services.user_create(username="ops-player", password="correct-horse-1")
    quiz = quiz_services.quiz_create(**quiz_body())
    submission = quiz_services.submission_create(user_id=player["id"], quiz_id=quiz["id"], answers=[0, 1, 0])
    scores = django_rq.get_queue(settings.SCORE_QUEUE)
    redis.lrem(scores.key, 0, submission.id)
    redis.zadd(scores.started_job_registry.key, {f"{submission.id}:dead-execution": 1})  # lease long over

    request = urllib.request.Request(f"{web_server.url}/api/v1/admin/queues",
                                     headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=10) as resp:
        assert resp.status == 200
        body = json.loads(resp.read())
    row = next(q for q in body["queues"] if q["name"] == settings.SCORE_QUEUE)
    assert row["started_jobs"] == 1 and row["jobs"] == 0
    with urllib.request.urlopen(f"{web_server.url}/api/v1/health", timeout=10) as resp:
        health = json.loads(resp.read())
    assert health["queue"]["started"] == 1 and health["queue"]["abandoned"] == 1
    # Left for the workers' maintenance, which retries it: the stats only read.
    assert redis.zcard(scores.started_job_registry.key) == 1
    assert redis.hget(f"qb:submission:{submission.id}", "status") == "queued"
