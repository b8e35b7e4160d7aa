"""Brute-force protection: failed logins per username, login/register calls per client address."""
from __future__ import annotations

import threading

import pytest
from rest_framework.exceptions import Throttled
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from ratelimit.throttles import LoginFailureThrottle

LOGIN = "/api/v1/auth/login"
REGISTER = "/api/v1/auth/register"
PASSWORD = "correct-horse-1"


def login(api, username: str = "alice", password: str = "wrong-password", **extra):
    return api.post(LOGIN, {"username": username, "password": password}, format="json", **extra)


@pytest.fixture
def alice(clock, make_user):
    """alice, registered and logged in once (two calls from 127.0.0.1) at the injected time."""
    return make_user("alice", PASSWORD)


def test_ten_failures_then_even_the_right_password_is_refused(api, alice, clock):
    for _ in range(10):
        assert login(api).status_code == 401
    resp = login(api, password=PASSWORD)
    assert resp.status_code == 429
    assert resp.json()["error"]["code"] == "rate_limited"
    assert resp["Retry-After"] == "900"
    assert (resp["RateLimit-Limit"], resp["RateLimit-Remaining"]) == ("10", "0")


def test_the_block_lifts_when_the_oldest_failure_is_fifteen_minutes_old(api, alice, clock):
    for _ in range(10):
        login(api)
        clock.advance(60)
    # Failures at T0 .. T0+9 min; now T0+10 min: the first one leaves at T0+15 min.
    resp = login(api, password=PASSWORD)
    assert resp.status_code == 429 and resp["Retry-After"] == "300"
    clock.advance(299.999)
    assert login(api, password=PASSWORD).status_code == 429
    clock.advance(0.001)
    assert login(api, password=PASSWORD).status_code == 200


def test_refused_attempts_do_not_extend_the_block(api, alice, clock):
    for _ in range(10):
        login(api)
    for _ in range(30):
        clock.advance(29)
        assert login(api).status_code == 429
    clock.advance(900 - 30 * 29)
    assert login(api, password=PASSWORD).status_code == 200


def test_successful_logins_are_not_failures(api, alice, clock):
    for _ in range(9):
        login(api)
    for _ in range(5):
        resp = login(api, password=PASSWORD)
        assert resp.status_code == 200
        assert resp["RateLimit-Remaining"] == "1"  # nine failures still count
    assert login(api).status_code == 401
    assert login(api, password=PASSWORD).status_code == 429


def test_failures_count_per_username_whatever_its_case(api, alice, make_user, clock):
    make_user("bob", PASSWORD)
    for name in ["alice", "ALICE", "Alice"] * 3 + ["aLiCe"]:
        assert login(api, name).status_code == 401
    assert login(api, "alice", PASSWORD).status_code == 429
    assert login(api, "bob", PASSWORD).status_code == 200


def test_unknown_usernames_are_limited_the_same_way(api, clock):
    statuses = [login(api, "nobody").status_code for _ in range(11)]
    assert statuses == [401] * 10 + [429]


def test_invalid_input_is_not_a_failed_login(api, alice, clock):
    for _ in range(20):
        assert login(api, password="short").status_code == 400
    assert login(api, password=PASSWORD).status_code == 200


def test_parallel_guesses_cannot_overrun_the_failure_limit(redis):
    # Each attempt takes its slot atomically before the password check, so 40 guesses in
    # flight at once still get exactly 10 password checks.
    barrier = threading.Barrier(40)
    admitted = []

    def guess() -> None:
        request = Request(APIRequestFactory().post(LOGIN))
        barrier.wait()
        try:
            LoginFailureThrottle(username="alice").check(request, view=None)
            admitted.append(1)
        except Throttled:
            pass

    threads = [threading.Thread(target=guess) for _ in range(40)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(admitted) == 10


def test_login_and_register_share_a_per_address_budget(api, settings, clock):
    settings.RATELIMIT_AUTH_IP_RATE = "4/m"
    body = {"username": "carol", "password": PASSWORD}
    assert api.post(REGISTER, body, format="json").status_code == 201
    assert login(api, "carol", PASSWORD).status_code == 200
    assert login(api, "carol").status_code == 401
    assert login(api, "carol", "bad").status_code == 400  # bad input still counts as a call
    resp = api.post(REGISTER, {"username": "dave", "password": PASSWORD}, format="json")
    assert resp.status_code == 429
    assert (resp["RateLimit-Limit"], resp["Retry-After"]) == ("4", "60")
    assert login(api, "carol", PASSWORD, REMOTE_ADDR="10.0.0.9").status_code == 200
    clock.advance(60)
    assert api.post(REGISTER, {"username": "dave", "password": PASSWORD}, format="json").status_code == 201


def test_headers_report_the_tightest_of_the_address_and_username_limits(api, alice, settings, clock):
    settings.RATELIMIT_AUTH_IP_RATE = "300/m"
    resp = login(api)
    # username: 9 failures left; address: 297 calls left (register, login, this) -> username.
    assert (resp["RateLimit-Limit"], resp["RateLimit-Remaining"], resp["RateLimit-Reset"]) == ("10", "9", "900")
    settings.RATELIMIT_AUTH_IP_RATE = "5/m"
    resp = login(api)
    # address: 5/m with four calls made -> 1 left, tighter than 8 failures left.
    assert (resp["RateLimit-Limit"], resp["RateLimit-Remaining"], resp["RateLimit-Reset"]) == ("5", "1", "60")
