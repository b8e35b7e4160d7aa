"""SubmissionRateThrottle: per-user limit, one round trip, headers on every response."""
from __future__ import annotations

import pytest
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from accounts.user import AnonymousUser, RedisUser
from ratelimit.headers import recorded_results
from ratelimit.throttles import SubmissionRateThrottle
from tests.ratelimit.conftest import T0


def _user(user_id: str) -> RedisUser:
    return RedisUser(
        id=user_id, username=user_id, role="user", session_id="s", session_created_ms=0,
        session_expires_at_ms=0, session_ttl_ms=0,
    )


def drf_request(user) -> Request:
    request = Request(APIRequestFactory().post("/api/v1/quizzes/q1/submissions"))
    request.user = user
    return request


def attempt(user) -> tuple[bool, SubmissionRateThrottle]:
    throttle = SubmissionRateThrottle()  # DRF builds one per request
    return throttle.allow_request(drf_request(user), view=None), throttle


def test_five_submissions_per_user_then_a_wait(clock):
    alice = _user("a1")
    outcomes = []
    for _ in range(6):
        allowed, throttle = attempt(alice)
        outcomes.append(allowed)
        clock.advance(1)
    assert outcomes == [True] * 5 + [False]
    assert throttle.wait() == 55.0  # the first submission (at T0) leaves the window at T0 + 60 s
    clock.advance(54)  # now T0 + 60 s
    assert attempt(alice)[0]


def test_users_are_limited_independently(clock):
    for _ in range(5):
        attempt(_user("a1"))
    assert not attempt(_user("a1"))[0]
    assert attempt(_user("b2"))[0]


def test_anonymous_requests_are_not_counted(rl_keys):
    assert attempt(AnonymousUser())[0]
    assert rl_keys() == []


def test_rate_and_algorithm_come_from_settings(settings, redis, clock):
    settings.RATELIMIT_SUBMISSIONS_RATE = "2/10s"
    settings.RATELIMIT_SUBMISSIONS_ALGORITHM = "fixed"
    assert [attempt(_user("a1"))[0] for _ in range(3)] == [True, True, False]
    assert redis.type("qb:rl:submissions:fixed:a1") == "hash"


def test_disabled_limits_admit_everything_and_write_nothing(settings, rl_keys):
    settings.RATELIMIT_ENABLED = False
    assert all(attempt(_user("a1"))[0] for _ in range(20))
    assert rl_keys() == []


def test_answer_is_recorded_on_the_request_for_the_headers(clock):
    request = drf_request(_user("a1"))
    SubmissionRateThrottle().allow_request(request, view=None)
    [result] = recorded_results(request)
    assert (result.limit, result.remaining, result.reset) == (5, 4, 60)


@pytest.mark.parametrize("algorithm", ["sliding", "fixed"])
def test_a_check_costs_exactly_one_round_trip(settings, roundtrips, algorithm):
    settings.RATELIMIT_SUBMISSIONS_ALGORITHM = algorithm
    attempt(_user("warm"))  # loads the script into Redis once per process
    roundtrips.reset()
    attempt(_user("a1"))
    assert roundtrips.count == 1


probe_urls = pytest.mark.urls("tests.ratelimit.urls")


@probe_urls
def test_successful_responses_carry_the_headers_and_the_429_adds_retry_after(
    make_user, auth_client, clock
):
    client = auth_client(make_user()["token"])
    remaining = []
    for _ in range(5):
        resp = client.post("/probe/submit")
        assert resp.status_code == 202
        assert resp["RateLimit-Limit"] == "5"
        assert resp["RateLimit-Reset"] == "60"
        assert "Retry-After" not in resp
        remaining.append(resp["RateLimit-Remaining"])
    assert remaining == ["4", "3", "2", "1", "0"]
    clock.advance(20)
    resp = client.post("/probe/submit")
    assert resp.status_code == 429
    assert resp.json()["error"]["code"] == "rate_limited"
    assert resp["Retry-After"] == "40"
    assert (resp["RateLimit-Limit"], resp["RateLimit-Remaining"], resp["RateLimit-Reset"]) == ("5", "0", "40")


@probe_urls
def test_a_rejected_submission_does_not_use_quota(make_user, auth_client, clock):
    client = auth_client(make_user()["token"])
    for _ in range(5):
        client.post("/probe/submit")
    for _ in range(10):
        clock.advance(5)
        assert client.post("/probe/submit").status_code == 429
    clock.ms = T0 + 60_000  # the five admitted at T0 all leave the window together
    statuses = [client.post("/probe/submit").status_code for _ in range(6)]
    assert statuses == [202] * 5 + [429]


@probe_urls
def test_limited_endpoint_costs_auth_plus_one_round_trip(make_user, auth_client, roundtrips):
    client = auth_client(make_user()["token"])
    client.post("/probe/submit")  # script loads
    roundtrips.reset()
    assert client.post("/probe/submit").status_code == 202
    assert roundtrips.count == 2  # authenticate (one script) + the limiter (one script)


@probe_urls
def test_unlimited_endpoints_carry_no_rate_limit_headers(make_user, auth_client):
    resp = auth_client(make_user()["token"]).get("/api/v1/me")
    assert resp.status_code == 200
    assert not any(name.lower().startswith("ratelimit-") for name in resp.headers)
