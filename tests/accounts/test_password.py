"""Password change: the new password works, every other session ends, a wrong one is a failed login."""
from __future__ import annotations

import pytest

from accounts import keys
from ratelimit import keys as rl_keys

PASSWORD, NEW = "correct-horse-1", "battery-staple-2"


def _login(api, password: str, username: str = "alice"):
    return api.post("/api/v1/auth/login", {"username": username, "password": password}, format="json")


def test_change_keeps_this_session_ends_the_others_and_swaps_the_password(api, make_user, auth_client, redis):
    user = make_user()
    others = [auth_client(_login(api, PASSWORD).json()["token"]) for _ in range(2)]
    me = auth_client(user["token"])
    resp = me.post("/api/v1/auth/password", {"current_password": PASSWORD, "new_password": NEW}, format="json")
    assert resp.status_code == 204, resp.content
    assert me.get("/api/v1/me").status_code == 200
    assert [o.get("/api/v1/me").status_code for o in others] == [401, 401]
    assert redis.zrange(keys.user_sessions(user["id"]), 0, -1) == [keys.session_id_for(user["token"])]
    assert _login(api, PASSWORD).status_code == 401
    assert _login(api, NEW).status_code == 200


def test_wrong_current_password_is_400_and_counts_as_a_failed_login(api, make_user, auth_client, redis, settings):
    settings.RATELIMIT_LOGIN_FAILURES_RATE = "3/15m"
    user = make_user()
    me = auth_client(user["token"])
    failures = rl_keys.login_failures("alice", "sliding")
    for _ in range(3):
        resp = me.post("/api/v1/auth/password", {"current_password": "not-it-at-all", "new_password": NEW},
                       format="json")
        assert resp.status_code == 400
        assert resp.json()["error"]["code"] == "invalid"
        assert resp.json()["error"]["details"] == {"field": "current_password"}
    assert redis.zcard(failures) == 3
    assert _login(api, PASSWORD).status_code == 429  # the same limiter as logins
    blocked = me.post("/api/v1/auth/password", {"current_password": PASSWORD, "new_password": NEW}, format="json")
    assert blocked.status_code == 429
    assert me.get("/api/v1/me").status_code == 200  # the session itself goes on


def test_a_right_password_is_no_failure(make_user, auth_client, redis):
    user = make_user()
    me = auth_client(user["token"])
    assert me.post("/api/v1/auth/password", {"current_password": PASSWORD, "new_password": NEW},
                   format="json").status_code == 204
    assert redis.zcard(rl_keys.login_failures("alice", "sliding")) == 0


@pytest.mark.parametrize("body", [
    {}, {"current_password": PASSWORD}, {"current_password": PASSWORD, "new_password": "short"},
    {"current_password": PASSWORD, "new_password": 12345678}, {"current_password": None, "new_password": NEW},
    {"current_password": PASSWORD, "new_password": "x" * 129}, [], "text",
])
def test_bad_bodies_get_the_envelope(make_user, auth_client, body):
    me = auth_client(make_user()["token"])
    resp = me.post("/api/v1/auth/password", body, format="json")
    assert resp.status_code == 400, resp.content
    assert resp.json()["error"]["code"] == "invalid"


def test_anonymous_is_401(api):
    resp = api.post("/api/v1/auth/password", {"current_password": PASSWORD, "new_password": NEW}, format="json")
    assert resp.status_code == 401


def test_a_login_racing_the_change_never_survives_with_the_old_password(api, make_user, auth_client, redis):
    """Logins with the old password, interleaved with the change, in a loop: none outlives it."""
    import threading

    from tests.conftest import store_reset

    for round_ in range(10):
        store_reset(redis)
        user = make_user()
        old, new = PASSWORD, NEW
        tokens: list[str] = []

        def login_loop():
            from rest_framework.test import APIClient

            client = APIClient()
            for _ in range(5):
                resp = _login(client, old)
                if resp.status_code == 200:
                    tokens.append(resp.json()["token"])

        racer = threading.Thread(target=login_loop)
        racer.start()
        resp = auth_client(user["token"]).post(
            "/api/v1/auth/password", {"current_password": old, "new_password": new}, format="json")
        racer.join()
        assert resp.status_code == 204
        # Every old-password login either ended with the change or came after it was refused.
        live = [t for t in tokens if auth_client(t).get("/api/v1/me").status_code == 200]
        assert live == [], f"round {round_}: a session opened with the old password survived"
