"""Registration, login and profiles against a real Redis."""
from __future__ import annotations

import threading

import pytest

from accounts import keys, services
from config.http.exceptions import Conflict


def test_register_login_me(api, auth_client):
    resp = api.post("/api/v1/auth/register", {"username": "Alice", "password": "s3cret-pass"}, format="json")
    assert resp.status_code == 201
    user = resp.json()
    assert set(user) == {"id", "username"} and user["username"] == "Alice"

    login = api.post("/api/v1/auth/login", {"username": "alice", "password": "s3cret-pass"}, format="json")
    assert login.status_code == 200
    body = login.json()
    assert body["user"] == user
    assert body["expires_in"] == 1800

    me = auth_client(body["token"]).get("/api/v1/me")
    assert me.status_code == 200
    assert me.json() == {"id": user["id"], "username": "Alice", "total_score": 0, "quizzes_solved": 0, "rank": None,
                         "public": True}


def test_profile_is_a_hash_with_counters(redis, make_user):
    user = make_user()
    profile = redis.hgetall(keys.user_profile(user["id"]))
    assert profile["total_score"] == "0" and profile["quizzes_solved"] == "0"
    assert redis.type(keys.user_profile(user["id"])) == "hash"
    assert "password" not in " ".join(profile)  # credentials live in their own key


def test_public_profile_and_unknown_user(make_user, auth_client):
    alice, bob = make_user("alice"), make_user("bob")
    client = auth_client(bob["token"])
    resp = client.get(f"/api/v1/users/{alice['id']}")
    assert resp.status_code == 200 and resp.json()["username"] == "alice"
    missing = client.get("/api/v1/users/0000000000000000")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "not_found"


def test_duplicate_names_are_case_insensitive(api, make_user):
    make_user("Alice")
    resp = api.post("/api/v1/auth/register", {"username": "ALICE", "password": "another-pass"}, format="json")
    assert resp.status_code == 409
    assert resp.json()["error"]["code"] == "conflict"


def test_concurrent_registrations_of_one_name_have_one_winner(redis):
    winners, losers = [], []
    barrier = threading.Barrier(20)

    def register(i: int) -> None:
        barrier.wait()
        try:
            winners.append(services.user_create(username=f"Race{'R' if i % 2 else 'r'}", password="password-1"))
        except Conflict:
            losers.append(i)

    threads = [threading.Thread(target=register, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(winners) == 1 and len(losers) == 19
    assert redis.hlen(keys.users_by_name()) == 1
    assert len(redis.keys("qb:user:*")) == 2  # one profile + one password key


@pytest.mark.parametrize(
    "body",
    [
        {"username": "ab", "password": "long-enough"},
        {"username": "a" * 33, "password": "long-enough"},
        {"username": "bad name", "password": "long-enough"},
        {"username": "émile", "password": "long-enough"},
        {"username": "okname", "password": "short"},
        {"username": "okname", "password": "x" * 129},
        {"username": "okname"},
        {"username": 12345, "password": ["not", "a", "string"]},
    ],
)
def test_register_validation(api, redis, body):
    resp = api.post("/api/v1/auth/register", body, format="json")
    assert resp.status_code == 400
    assert resp.json()["error"]["code"] == "invalid"
    assert resp.json()["error"]["details"]["fields"]
    assert redis.hlen(keys.users_by_name()) == 0


def test_wrong_password_and_unknown_user_answer_the_same(api, make_user):
    make_user("alice", "right-password")
    wrong = api.post("/api/v1/auth/login", {"username": "alice", "password": "wrong-password"}, format="json")
    unknown = api.post("/api/v1/auth/login", {"username": "nobody", "password": "wrong-password"}, format="json")
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()
    assert wrong.json()["error"]["code"] == "not_authenticated"


def test_create_admin_command_creates_and_promotes(redis, make_user, auth_client):
    from django.core.management import call_command

    call_command("create_admin", "root", "--password", "admin-pass-1")
    uid = redis.hget(keys.users_by_name(), "root")
    assert redis.hget(keys.user_profile(uid), "role") == "admin"

    bob = make_user("bob")
    call_command("create_admin", "bob", "--password", "ignored-pass")
    assert redis.hget(keys.user_profile(bob["id"]), "role") == "admin"
    # Roles are read from the profile on every request, so live sessions see the promotion.
    assert services.session_touch(token=bob["token"]).is_admin
