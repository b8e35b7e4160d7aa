"""What browser support costs an API request: the full Django stack with and without it.

Browser support adds two middlewares to every request that goes through Django (WhiteNoise, a
path lookup; Django's SessionMiddleware, lazy: no Redis read without a cookie) and a second DRF
authentication class that only runs when there is no bearer token. This measures the process
CPU time per bearer-authenticated `GET /api/v1/quizzes` through Django's test client (no
network, so the stack's own cost is all there is), in alternating rounds of the two setups, and
counts the Redis round trips of a bearer request and of a browser (cookie) request.

Run: `python -m bench.browser_cost` (its own private Redis).
"""
from __future__ import annotations

import gc
import statistics
import time

from bench.common import PrivateRedis, load_average, seed_users, setup_django
from bench.roundtrips import QUIZ, counting

ROUNDS = 11
REQUESTS = 300
BROWSER_MIDDLEWARE = ("whitenoise.middleware.WhiteNoiseMiddleware",
                      "django.contrib.sessions.middleware.SessionMiddleware")
BROWSER_AUTH = "accounts.authentication.BrowserSessionAuthentication"


def _without_browser_support():
    from django.conf import settings
    from django.test import override_settings

    rest = dict(settings.REST_FRAMEWORK)
    rest["DEFAULT_AUTHENTICATION_CLASSES"] = [c for c in rest["DEFAULT_AUTHENTICATION_CLASSES"] if c != BROWSER_AUTH]
    return override_settings(MIDDLEWARE=[m for m in settings.MIDDLEWARE if m not in BROWSER_MIDDLEWARE],
                             REST_FRAMEWORK=rest)


def _client(token: str):
    """A client (and so a middleware chain, built on its first request) for one setup."""
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert client.get("/api/v1/quizzes").status_code == 200
    return client


def _cpu_per_request(client) -> float:
    """Process CPU seconds per request over REQUESTS requests, the garbage collector paused."""
    gc.collect()
    gc.disable()
    try:
        start = time.process_time()
        for _ in range(REQUESTS):
            client.get("/api/v1/quizzes")
        return (time.process_time() - start) / REQUESTS
    finally:
        gc.enable()


def _browser_round_trips(user: dict) -> int:
    """Round trips of a cookie-authenticated GET /api/v1/quizzes (the session read + the touch + the read)."""
    import re

    from django.test import Client

    browser = Client()
    page = browser.get("/api-auth/login/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode()).group(1)
    browser.post("/api-auth/login/", {"username": user["username"], "password": "bench-password-1",
                                      "csrfmiddlewaretoken": token})
    assert browser.get("/api/v1/quizzes").status_code == 200
    with counting() as trips:
        assert browser.get("/api/v1/quizzes").status_code == 200
    return trips[0]


def main() -> None:
    redis_server = PrivateRedis().start()
    try:
        setup_django(redis_server.url)
        from rest_framework.test import APIClient

        admin, user = seed_users(1, prefix="costadmin", role="admin")[0], seed_users(1, prefix="cost")[0]
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {admin['token']}")
        assert client.post("/api/v1/quizzes", QUIZ, format="json").status_code == 201

        # One client per setup, as a server builds its middleware once (WhiteNoise indexes the
        # static files then); rounds alternate, so load on the machine hits both alike.
        supported = _client(user["token"])
        with _without_browser_support():
            plain = _client(user["token"])
        with_support, without = [], []
        for _ in range(ROUNDS):
            with_support.append(_cpu_per_request(supported))
            with _without_browser_support():
                without.append(_cpu_per_request(plain))
        bearer = APIClient()
        bearer.credentials(HTTP_AUTHORIZATION=f"Bearer {user['token']}")
        with counting() as trips:
            bearer.get("/api/v1/quizzes")
        a, b = statistics.median(with_support), statistics.median(without)
        paired = statistics.median(w / s for s, w in zip(with_support, without))
        print(f"load average {load_average()}; {ROUNDS} alternating rounds of {REQUESTS} requests")
        print(f"GET /api/v1/quizzes (bearer), CPU per request: with browser support {a * 1e6:.0f} us, "
              f"without {b * 1e6:.0f} us; ratio {paired:.2f} (requests per CPU-second, with / without, "
              f"median of paired rounds)")
        print(f"Redis round trips: bearer request {trips[0]}, browser (cookie) request {_browser_round_trips(user)}")
    finally:
        redis_server.stop()


if __name__ == "__main__":
    main()
