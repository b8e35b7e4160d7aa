"""Keyspace audit: after a full flow through every feature, SCAN every key in Redis. Each one must
be documented, and either documented as permanent or expiring.

The allow-list is not kept here: it is read from the keyspace tables in each app's keys.py
docstring (key, type, TTL, contents), the same tables docs/keyspace.md comes from.
A row whose TTL column starts with "none" is a permanent key; any other row promises a TTL.
RQ documents its own keys in its classes; RQ_PERMANENT lists the registries and indexes it keeps
for good (everything else RQ writes, jobs and results included, must expire once a job is done).
"""
from __future__ import annotations

import asyncio
import re
import signal
import subprocess
import sys
from dataclasses import dataclass
from importlib import import_module

import django_rq
import pytest
from django.conf import settings

from accounts import services as account_services
from accounts.tasks import inactive_users_cleanup
from tests.processes import ROOT, process_env
from tests.quizzes.conftest import RIGHT, quiz_body

KEY_MODULES = ("config.redis.keys", "accounts.keys", "quizzes.keys", "ratelimit.keys", "leaderboard.keys")
# RQ's own long-lived structures (rq.queue, rq.registry, rq.worker_registration, rq.cron).
RQ_PERMANENT = (
    r"rq:queues", r"rq:queue:[^:]+", r"rq:workers", r"rq:workers:[^:]+",
    r"rq:(wip|finished|failed|deferred|scheduled|canceled):[^:]+",
    r"rq:cron_schedulers", r"rq:cron_scheduler:[^:]+",
    r"rq:cron_jobs",  # rq.cron_job_registry: names of cron jobs that ran, pruned by RQ itself
)
# Django's cache (the browsable API's login sessions): django-redis always sets a timeout.
CACHE = re.escape(f"{settings.REDIS_KEY_PREFIX}:cache") + r":.+"
PASSWORD = "correct-horse-1"


@dataclass(frozen=True)
class Documented:
    pattern: re.Pattern
    row: str
    permanent: bool


def documented_keys() -> list[Documented]:
    """Every keyspace-table row of every app's keys.py, as a regex over real key names."""
    rows = []
    for module in KEY_MODULES:
        for line in (import_module(module).__doc__ or "").splitlines():
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if len(cells) < 3 or not cells[0].startswith("qb:"):
                continue
            rows.append(Documented(_regex(cells[0]), f"{module}: {cells[0]}", cells[2].startswith("none")))
    return rows


def _regex(template: str) -> re.Pattern:
    """`qb:user:{uid}:password` -> ^<prefix>:user:[^:]+:password$ (placeholders are one segment)."""
    parts = re.split(r"\{[^}]*\}", template)
    body = "[^:]+".join(re.escape(part) for part in parts)
    body = re.escape(settings.REDIS_KEY_PREFIX) + body[len(re.escape("qb")):]
    return re.compile(f"^{body}$")


def test_the_tables_parse():
    rows = documented_keys()
    assert len(rows) >= 20
    assert any(r.pattern.match("qb:session:" + "a" * 64) and not r.permanent for r in rows)
    assert any(r.pattern.match("qb:users:by-name") and r.permanent for r in rows)


# --- the flow --------------------------------------------------------------------------------


def _run_worker(*queues: str) -> None:
    """The Procfile's worker command, in burst mode, until its queues are empty."""
    done = subprocess.run(
        [sys.executable, "manage.py", "rqworker", "--burst", "--with-scheduler", "--worker-class",
         "config.jobs.worker.ResilientSimpleWorker", *queues],
        cwd=ROOT, env=process_env(), capture_output=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr.decode()[-3000:]


def _run_cron_scheduler_briefly(redis) -> None:
    """Start the Procfile's `scheduler` process, let it register, stop it as a deploy would."""
    proc = subprocess.Popen([sys.executable, "manage.py", "cron", "config.cron"], cwd=ROOT,
                            env=process_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        from tests.faults.processes import wait_until

        wait_until(lambda: any(redis.scan_iter(match="rq:cron*")), timeout=30,
                   what="the cron scheduler to register")
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)


def full_flow(api, auth_client, redis, settings) -> None:
    """Every feature once: accounts, limits, quizzes, scoring, results, boards, tickets, sweep."""
    account_services.user_create(username="admin", password=PASSWORD, role="admin")
    admin = auth_client(api.post("/api/v1/auth/login", {"username": "admin", "password": PASSWORD},
                                 format="json").json()["token"])
    players = []
    for name in ("alice", "bob", "carol"):
        assert api.post("/api/v1/auth/register", {"username": name, "password": PASSWORD}, format="json").status_code == 201
        token = api.post("/api/v1/auth/login", {"username": name, "password": PASSWORD}, format="json").json()["token"]
        players.append(auth_client(token))
    api.post("/api/v1/auth/login", {"username": "alice", "password": "wrong-password"}, format="json")
    api.post("/api/v1/auth/register", {"username": "alice", "password": PASSWORD}, format="json")  # 409

    quiz = admin.post("/api/v1/quizzes", quiz_body(), format="json").json()
    other = admin.post("/api/v1/quizzes", quiz_body(title="Other"), format="json").json()
    admin.patch(f"/api/v1/quizzes/{other['id']}", {"title": "Renamed"}, format="json")
    alice, bob, carol = players
    path = f"/api/v1/quizzes/{quiz['id']}/submissions"
    alice.post(path, {"answers": RIGHT}, format="json", HTTP_IDEMPOTENCY_KEY="first-try")
    alice.post(path, {"answers": RIGHT}, format="json", HTTP_IDEMPOTENCY_KEY="first-try")  # replay
    for _ in range(6):  # one past the limit: a 429
        bob.post(path, {"answers": [0, 0, 0]}, format="json")
    settings.RATELIMIT_SUBMISSIONS_ALGORITHM = "fixed"  # the other limiter's keys too
    carol.post(f"/api/v1/quizzes/{other['id']}/submissions", {"answers": RIGHT}, format="json")
    settings.RATELIMIT_SUBMISSIONS_ALGORITHM = "sliding"
    admin.put(f"/api/v1/quizzes/{other['id']}", quiz_body(title="Changed while queued"), format="json")

    django_rq.get_queue("maintenance").enqueue(inactive_users_cleanup, days=7)
    _run_worker(settings.SCORE_QUEUE, "maintenance")

    for client in (alice, bob):
        client.get(f"/api/v1/quizzes/{quiz['id']}/results")  # a MISS that stores the cache
        client.get("/api/v1/leaderboard?limit=10")
        client.get("/api/v1/leaderboard/me?around=2")
        client.get("/api/v1/me")
        client.get("/api/v1/auth/sessions")
        client.post("/api/v1/auth/refresh")
    alice.get(f"/api/v1/leaderboard/users/{_user_id(redis, 'bob')}")
    ticket = alice.post("/api/v1/auth/ws-ticket").json()["ticket"]
    account_services.ws_ticket_redeem(ticket=ticket)
    alice.post("/api/v1/auth/ws-ticket")  # one left unused: it must expire by itself
    _socket_lease_held(_user_id(redis, "alice"))  # a socket's place in the per-user cap
    # Issue 23: privacy, a ban and an unban, a password change, an export, the audit log.
    alice.patch("/api/v1/me", {"public": False}, format="json")
    alice.patch("/api/v1/me", {"public": True}, format="json")
    carol.patch("/api/v1/me", {"public": False}, format="json")  # stays hidden: a parked entry
    bob_id = _user_id(redis, "bob")
    admin.post(f"/api/v1/users/{bob_id}/ban", {"reason": "audit"}, format="json")
    admin.post(f"/api/v1/users/{bob_id}/unban", {}, format="json")
    bob = auth_client(api.post("/api/v1/auth/login", {"username": "bob", "password": PASSWORD},
                               format="json").json()["token"])
    alice.post("/api/v1/auth/password", {"current_password": PASSWORD, "new_password": PASSWORD}, format="json")
    alice.get("/api/v1/me/export")
    admin.get("/api/v1/admin/audit")
    carol.post("/api/v1/auth/logout")
    bob.post("/api/v1/auth/logout-all")
    admin.delete(f"/api/v1/quizzes/{other['id']}")
    _run_cron_scheduler_briefly(redis)


def _socket_lease_held(user_id: str) -> None:
    """Take a WebSocket lease as a consumer does, on a loop of its own."""
    from config.redis.clients import async_redis_client
    from leaderboard.services import socket_lease_take

    async def take() -> None:
        try:
            assert await socket_lease_take(user_id=user_id, socket_id="audit")
        finally:
            await async_redis_client().connection_pool.disconnect()

    asyncio.run(take())


def _user_id(redis, name: str) -> str:
    from accounts import keys

    return redis.hget(keys.users_by_name(), name)


# --- the audit -------------------------------------------------------------------------------


def audit(redis) -> dict[str, list[str]]:
    """SCAN every key; sort out the ones that break a rule."""
    documented = documented_keys()
    rq_permanent = [re.compile(f"^{p}$") for p in RQ_PERMANENT]
    problems: dict[str, list[str]] = {"undocumented": [], "no TTL": [], "documented TTL missing": []}
    for key in redis.scan_iter(count=1000):
        pttl = redis.pttl(key)  # ms: TTL in seconds rounds a last half second down to 0
        if pttl == -2:
            continue  # expired between SCAN and now: it had a TTL
        expires = pttl > 0
        rows = [d for d in documented if d.pattern.match(key)]
        if rows:
            if not expires and not any(r.permanent for r in rows):
                problems["documented TTL missing"].append(f"{key} ({rows[0].row})")
        elif any(p.match(key) for p in rq_permanent):
            continue
        elif key.startswith("rq:") or re.match(CACHE, key):
            if not expires:
                problems["no TTL"].append(key)
        else:
            problems["undocumented"].append(key)
    return {rule: keys for rule, keys in problems.items() if keys}


@pytest.fixture(autouse=True)
def _generous_auth_limit(settings):
    settings.RATELIMIT_AUTH_IP_RATE = "1000/m"  # the flow logs in more than a classroom would


def test_every_key_after_a_full_flow_is_documented_and_permanent_or_expiring(api, auth_client, redis, settings):
    full_flow(api, auth_client, redis, settings)
    keys = list(redis.scan_iter(count=1000))
    assert len(keys) > 40  # the flow really wrote its keys
    assert audit(redis) == {}


def test_an_erased_users_id_names_no_key_and_what_is_left_is_documented(api, auth_client, redis, settings):
    full_flow(api, auth_client, redis, settings)
    user_id = _user_id(redis, "alice")
    token = api.post("/api/v1/auth/login", {"username": "alice", "password": PASSWORD}, format="json").json()["token"]
    assert auth_client(token).delete("/api/v1/me", {"password": PASSWORD}, format="json").status_code == 204
    assert [key for key in redis.scan_iter(count=1000) if user_id in key] == []
    assert audit(redis) == {}


def _templates(module: str) -> list[str]:
    rows = []
    for line in (import_module(module).__doc__ or "").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 3 and cells[0].startswith("qb:"):
            rows.append(cells[0])
    return rows


def test_every_documented_key_naming_a_user_is_a_registered_record_kind():
    """DESIGN.md: a new kind of per-user record registers with accounts/records.py, which erases,
    bans, hides and sweeps users; a keys.py row with {uid} in its key that no kind covers fails here."""
    from accounts.records import documented_templates

    documented = {template for module in KEY_MODULES for template in _templates(module)}
    naming_a_user = {template for template in documented if "{uid}" in template}
    registered = documented_templates()
    assert sorted(naming_a_user - registered) == [], (
        "per-user keys no record kind covers: register them in their app's user_records.py")
    assert sorted(registered - documented) == [], "record kinds naming keys no keys.py table documents"


def test_the_audit_catches_an_undocumented_key_and_a_missing_ttl(redis):
    redis.set("qb:mystery", "1")
    redis.hset("qb:session:" + "0" * 64, "uid", "x")  # sessions must expire
    redis.hset("rq:job:leftover", "status", "finished")  # a finished job must expire
    redis.zadd("rq:finished:scores", {"x": 1})  # RQ's registry: permanent by design
    assert audit(redis) == {
        "undocumented": ["qb:mystery"],
        "no TTL": ["rq:job:leftover"],
        "documented TTL missing": [f"qb:session:{'0' * 64} (accounts.keys: qb:session:{{sha256(token)}})"],
    }
