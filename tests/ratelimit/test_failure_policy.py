"""Redis unreachable: limited requests answer 503 by default; RATELIMIT_FAIL_OPEN admits and logs."""
from __future__ import annotations

import logging

import pytest
import redis.exceptions
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from ratelimit.throttles import SubmissionRateThrottle
from tests.ratelimit.test_throttles import _user


def _request() -> Request:
    request = Request(APIRequestFactory().post("/"))
    request.user = _user("a1")
    return request


def test_fail_closed_by_default(redis_down, settings):
    assert settings.RATELIMIT_FAIL_OPEN is False
    with pytest.raises(redis.exceptions.ConnectionError):
        SubmissionRateThrottle().allow_request(_request(), view=None)


def test_fail_open_admits_and_logs_a_warning(redis_down, settings, caplog):
    settings.RATELIMIT_FAIL_OPEN = True
    with caplog.at_level(logging.WARNING, logger="ratelimit.throttles"):
        throttle = SubmissionRateThrottle()
        assert throttle.allow_request(_request(), view=None)
    assert throttle.wait() is None
    assert any("not enforced" in r.getMessage() and r.levelno == logging.WARNING for r in caplog.records)


@pytest.mark.urls("tests.ratelimit.urls")
def test_over_http_closed_is_503_and_open_is_admitted_without_headers(api, redis_down, settings):
    resp = api.get("/probe/ip")
    assert resp.status_code == 503
    assert resp.json()["error"]["code"] == "service_unavailable"

    settings.RATELIMIT_FAIL_OPEN = True
    resp = api.get("/probe/ip")
    assert resp.status_code == 200
    assert "RateLimit-Limit" not in resp
