"""Redis sessions: hashing, idle expiry, absolute cap, logout, listing, tickets."""
from __future__ import annotations

import hashlib

from accounts import keys, services


def _login(api, username="alice", password="correct-horse-1"):
    return api.post("/api/v1/auth/login", {"username": username, "password": password}, format="json").json()


def test_stored_session_key_is_the_token_hash(redis, make_user):
    user = make_user()
    digest = hashlib.sha256(user["token"].encode()).hexdigest()
    assert redis.exists(keys.session(digest))
    dump = " ".join(redis.keys("*")) + " ".join(str(redis.hgetall(k)) for k in redis.keys("qb:session:*"))
    assert user["token"] not in dump
    assert user["token"].split(".", 1)[1] not in dump


def test_session_has_idle_ttl(redis, make_user):
    user = make_user()
    ttl = redis.ttl(keys.session(keys.session_id_for(user["token"])))
    assert 1790 <= ttl <= 1800
    index_ttl = redis.ttl(keys.user_sessions(user["id"]))
    assert 86000 <= index_ttl <= 86400


def test_token_works_until_logout(make_user, auth_client):
    user = make_user()
    client = auth_client(user["token"])
    assert client.get("/api/v1/me").status_code == 200
    assert client.post("/api/v1/auth/logout").status_code == 204
    resp = client.get("/api/v1/me")
    assert resp.status_code == 401
    assert resp.json()["error"]["code"] == "not_authenticated"
    assert resp["WWW-Authenticate"].startswith("Bearer")


def test_garbage_tokens_are_rejected(auth_client, make_user):
    user = make_user()
    for token in ["nope", user["id"] + ".x", "0" * 16 + "." + "a" * 43, user["token"] + "x", "é" * 10]:
        resp = auth_client(token).get("/api/v1/me")
        assert resp.status_code == 401, token
    assert auth_client(user["token"]).get("/api/v1/me").status_code == 200


def test_missing_token_is_401(api):
    resp = api.get("/api/v1/me")
    assert resp.status_code == 401
    assert resp.json()["error"]["code"] == "not_authenticated"


def test_idle_session_expires_and_requests_slide_it(redis, make_user):
    user = make_user()
    session_key = keys.session(keys.session_id_for(user["token"]))
    created = int(redis.hget(session_key, "created"))
    # 29 minutes later a request slides the idle timer back to a full 30 minutes...
    touched = services.session_touch(token=user["token"], now_ms=created + 29 * 60_000)
    assert touched is not None and touched.session_ttl_ms == 30 * 60_000
    assert redis.pttl(session_key) > 29 * 60_000
    # ...and when Redis lets the key expire (idle), the token is dead.
    redis.pexpire(session_key, 1)
    import time

    time.sleep(0.01)
    assert services.session_touch(token=user["token"]) is None


def test_refresh_slides_ttl_but_never_past_the_absolute_cap(redis, make_user, auth_client):
    user = make_user()
    session_key = keys.session(keys.session_id_for(user["token"]))
    redis.pexpire(session_key, 60_000)  # as if the user had been idle for 29 minutes
    resp = auth_client(user["token"]).post("/api/v1/auth/refresh")
    assert resp.status_code == 200 and resp.json()["expires_in"] == 1800
    assert redis.ttl(session_key) > 1790

    created = int(redis.hget(session_key, "created"))
    near_cap = created + 24 * 3600_000 - 10 * 60_000  # 10 minutes before the 24 h cap
    touched = services.session_touch(token=user["token"], now_ms=near_cap)
    assert touched.session_ttl_ms == 10 * 60_000
    assert redis.pttl(session_key) <= 10 * 60_000
    # At the cap the session is over, however recently it was used.
    assert services.session_touch(token=user["token"], now_ms=created + 24 * 3600_000) is None
    assert not redis.exists(session_key)


def test_logout_all_and_sessions_list(api, make_user, auth_client):
    user = make_user()
    second = _login(api)["token"]
    third = _login(api)["token"]
    listing = auth_client(second).get("/api/v1/auth/sessions")
    assert listing.status_code == 200
    rows = listing.json()
    assert len(rows) == 3
    assert [r["current"] for r in rows].count(True) == 1
    assert all(set(r) == {"id", "created_at", "last_seen_at", "current"} for r in rows)
    assert all(r["created_at"].endswith("Z") for r in rows)

    assert auth_client(third).post("/api/v1/auth/logout-all").status_code == 204
    for token in (user["token"], second, third):
        assert auth_client(token).get("/api/v1/me").status_code == 401


def test_session_index_drops_expired_entries(redis, make_user, api):
    user = make_user()
    redis.delete(keys.session(keys.session_id_for(user["token"])))  # as if it idled out
    _login(api)
    assert redis.zcard(keys.user_sessions(user["id"])) == 1


def test_sessions_per_user_are_capped(settings, redis, make_user, api):
    settings.SESSIONS_PER_USER_MAX = 3
    user = make_user()
    for _ in range(4):
        _login(api)
    assert redis.zcard(keys.user_sessions(user["id"])) == 3
    assert len(redis.keys("qb:session:*")) == 3


def test_ws_ticket_is_single_use_and_expires(redis, make_user, auth_client):
    user = make_user()
    resp = auth_client(user["token"]).post("/api/v1/auth/ws-ticket")
    assert resp.status_code == 200
    ticket, expires_in = resp.json()["ticket"], resp.json()["expires_in"]
    assert expires_in == 30
    assert 25 <= redis.ttl(keys.ws_ticket(ticket)) <= 30
    redeemed = services.ws_ticket_redeem(ticket=ticket)
    assert redeemed["user_id"] == user["id"] and redeemed["username"] == "alice"
    assert services.ws_ticket_redeem(ticket=ticket) is None

    other = auth_client(user["token"]).post("/api/v1/auth/ws-ticket").json()["ticket"]
    redis.pexpire(keys.ws_ticket(other), 1)
    import time

    time.sleep(0.01)
    assert services.ws_ticket_redeem(ticket=other) is None


def test_ws_ticket_dies_with_its_session(make_user, auth_client):
    user = make_user()
    client = auth_client(user["token"])
    ticket = client.post("/api/v1/auth/ws-ticket").json()["ticket"]
    client.post("/api/v1/auth/logout")
    assert services.ws_ticket_redeem(ticket=ticket) is None


def test_activity_is_recorded_at_most_once_a_minute(redis, make_user):
    user = make_user()
    session_key = keys.session(keys.session_id_for(user["token"]))
    created = int(redis.hget(session_key, "created"))
    first = redis.zscore(keys.users_last_seen(), user["id"])
    services.session_touch(token=user["token"], now_ms=created + 30_000)
    assert redis.zscore(keys.users_last_seen(), user["id"]) == first
    services.session_touch(token=user["token"], now_ms=created + 61_000)
    assert redis.zscore(keys.users_last_seen(), user["id"]) == (created + 61_000) // 1000
