"""Account erasure and export, against real Redis and a real burst worker."""
from __future__ import annotations

import threading

import pytest
from rest_framework.test import APIClient

from accounts import erasure, keys
from tests.quizzes.conftest import RIGHT, submit

PASSWORD = "correct-horse-1"


def _mentions(redis, needle: str) -> list[str]:
    """Every key whose name, or whose hash fields / zset members / set members, name `needle`."""
    found = []
    for key in redis.scan_iter(count=1000):
        if needle in key:
            found.append(key)
            continue
        if key.startswith(("qb:cache:", "rq:")):
            continue  # pickled (RQ jobs name users only in their payload, and expire)
        kind = redis.type(key)
        if kind == "hash" and any(needle in f or needle in v for f, v in redis.hgetall(key).items()):
            found.append(f"{key} (hash)")
        elif kind == "zset" and any(needle in m for m in redis.zrange(key, 0, -1)):
            found.append(f"{key} (zset)")
        elif kind == "string" and needle in (redis.get(key) or ""):
            found.append(f"{key} (string)")
        elif kind == "stream" and any(needle in str(fields) for _, fields in redis.xrange(key)):
            found.append(f"{key} (stream)")
    return found


def _rich_user(player, quiz, run_worker, redis, name="alice"):
    """A user with every kind of record: sessions, processed and queued submissions, boards, limits."""
    user, client = player(name)
    APIClient().post("/api/v1/auth/login", {"username": name, "password": "wrong-password"}, format="json")
    submit(client, quiz["id"], [0, 0, 0], HTTP_IDEMPOTENCY_KEY="once")
    submit(client, quiz["id"], RIGHT)
    run_worker()
    submit(client, quiz["id"], RIGHT)  # left queued
    client.post("/api/v1/auth/ws-ticket")
    return user, client


def test_erasure_removes_everything_frees_the_name_and_stops_results_counting_them(
        admin_client, quiz, player, run_worker, redis, api):
    bob, b = player("bob")
    submit(b, quiz["id"], [0, 0, 0])
    alice, a = _rich_user(player, quiz, run_worker, redis)
    results = b.get(f"/api/v1/quizzes/{quiz['id']}/results").json()  # cached, naming alice
    assert alice["id"] in str(results)

    resp = a.delete("/api/v1/me", {"password": PASSWORD}, format="json")
    assert resp.status_code == 204, resp.content
    assert a.get("/api/v1/me").status_code == 401
    # Only an unused WebSocket ticket still holds the id, for at most its 30 s: its session is gone,
    # so it can never be redeemed (accounts.services.ws_ticket_redeem).
    left = _mentions(redis, alice["id"])
    assert all(key.startswith("qb:ws-ticket:") and 0 < redis.ttl(key.split()[0]) <= 30 for key in left), left
    assert not [k for k in redis.scan_iter(count=1000) if alice["id"] in k]  # no key names the id
    assert redis.hget(keys.users_by_name(), "alice") is None
    assert redis.zcard(keys.erasures()) == 0

    after = b.get(f"/api/v1/quizzes/{quiz['id']}/results").json()  # no TTL wait: a new generation
    assert alice["id"] not in str(after) and "alice" not in str(after)
    assert after["unique_users"] == 1

    run_worker()  # the queued submission's job finds nothing to score
    assert not [k for k in redis.scan_iter(count=1000) if alice["id"] in k]
    again = api.post("/api/v1/auth/register", {"username": "Alice", "password": PASSWORD}, format="json")
    assert again.status_code == 201 and again.json()["id"] != alice["id"]
    assert redis.hget(f"qb:quiz:{quiz['id']}:pending", "1") in (None, "0")  # the queued one's pin is released


def test_wrong_password_and_bad_bodies_are_400(player):
    alice, a = player("alice")
    wrong = a.delete("/api/v1/me", {"password": "not-the-password"}, format="json")
    assert wrong.status_code == 400 and wrong.json()["error"]["details"] == {"field": "password"}
    for body in ({}, {"password": 12345678}, {"password": None}, [], "x", {"password": "x" * 129}):
        resp = a.delete("/api/v1/me", body, format="json")
        assert resp.status_code == 400, (body, resp.content)
        assert resp.json()["error"]["code"] == "invalid"
    assert a.get("/api/v1/me").status_code == 200


def test_a_half_finished_erasure_is_finished_by_the_reconciler(quiz, player, run_worker, redis, monkeypatch):
    from accounts import records

    alice, a = _rich_user(player, quiz, run_worker, redis)
    kinds = {kind.name: kind for kind in records.record_kinds()}

    def crash(user_id):
        raise RuntimeError("the web process died here")

    monkeypatch.setitem(records._KINDS, "quiz-best", records.RecordKind(
        **{**kinds["quiz-best"].__dict__, "erase": crash}))
    with pytest.raises(RuntimeError):
        erasure.user_erase(user_id=alice["id"])  # what DELETE /me runs, dying half way
    monkeypatch.undo()
    assert redis.zscore(keys.erasures(), alice["id"]) is not None
    assert redis.hget(keys.user_profile(alice["id"]), "erasing") == "1"
    login = APIClient().post("/api/v1/auth/login", {"username": "alice", "password": PASSWORD}, format="json")
    assert login.status_code == 401  # no session opens on an account being erased
    assert erasure.erasures_resume(older_than_seconds=0) == [alice["id"]]
    assert not [k for k in redis.scan_iter(count=1000) if alice["id"] in k]
    assert redis.zcard(keys.erasures()) == 0


def test_erasure_racing_logins_never_leaves_a_live_session(quiz, player, redis):
    for round_ in range(15):
        alice, a = player(f"racer{round_}")
        tokens: list[str] = []

        def logins():
            client = APIClient()
            for _ in range(8):
                resp = client.post("/api/v1/auth/login", {"username": f"racer{round_}", "password": PASSWORD},
                                   format="json")
                if resp.status_code == 200:
                    tokens.append(resp.json()["token"])

        racer = threading.Thread(target=logins)
        racer.start()
        assert a.delete("/api/v1/me", {"password": PASSWORD}, format="json").status_code == 204
        racer.join()
        for token in tokens:
            client = APIClient()
            client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
            assert client.get("/api/v1/me").status_code == 401, f"round {round_}: a session survived"
        assert not [k for k in redis.scan_iter(match="qb:session:*") if redis.hget(k, "uid") == alice["id"]]


def _arguments(entry: dict) -> int:
    """A SLOWLOG entry's argument count (it shows 32 at most, then "... (N more arguments)")."""
    import re

    command = entry["command"]
    command = command.decode(errors="replace") if isinstance(command, bytes) else command
    more = re.search(r"\((\d+) more arguments\)", command)
    return (31 + int(more.group(1))) if more else len(command.split())


def test_erasing_1000_submissions_sends_no_command_over_a_batch(quiz, player, redis, settings):
    from accounts.records import ERASE_BATCH

    settings.RATELIMIT_SUBMISSIONS_RATE = "100000/60s"
    alice, a = player("alice")
    for _ in range(1000):
        assert submit(a, quiz["id"], RIGHT).status_code == 202
    redis.config_set("slowlog-log-slower-than", 0)
    redis.config_set("slowlog-max-len", 100_000)
    redis.slowlog_reset()
    assert a.delete("/api/v1/me", {"password": PASSWORD}, format="json").status_code == 204
    log = redis.slowlog_get(100_000)
    redis.config_set("slowlog-log-slower-than", 10_000)
    widest = max(_arguments(entry) for entry in log)
    longest = max(entry["duration"] for entry in log)
    print(f"erasure of 1,000 submissions: {len(log)} commands, widest {widest} words, longest {longest} us")
    assert widest <= ERASE_BATCH + 10
    assert not [k for k in redis.scan_iter(count=1000) if alice["id"] in k]
    assert redis.zcard(f"qb:quiz:{quiz['id']}:submissions") == 0


def test_export_holds_everything_readable_and_no_secret(quiz, player, run_worker, redis):
    alice, a = _rich_user(player, quiz, run_worker, redis)
    resp = a.get("/api/v1/me/export")
    assert resp.status_code == 200
    doc = resp.json()
    assert set(doc) == {"profile", "sessions", "submissions", "groups", "leagues"}
    assert doc["profile"]["username"] == "alice" and doc["profile"]["total_score"] == 35
    assert doc["groups"] == [] and doc["leagues"] == []
    assert len(doc["sessions"]) == 1 and set(doc["sessions"][0]) == {"id", "created_at", "last_seen_at"}
    assert [s["status"] for s in doc["submissions"]] == ["processed", "processed", "queued"]
    assert doc["submissions"][1]["answers"] == RIGHT and doc["submissions"][1]["score"] == 35
    text = resp.content.decode()
    password_hash = redis.get(keys.user_password(alice["id"]))
    session_id = keys.session_id_for(alice["token"])
    for secret in (alice["token"], alice["token"].split(".", 1)[1], password_hash, session_id):
        assert secret not in text
    assert "pbkdf2" not in text and "md5$" not in text
