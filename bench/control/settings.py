"""Our settings plus one middleware that adds a plain Redis round trip (PING) to every request.

A control for the limiter's cost over HTTP (bench/ratelimit_cost.py): with the limiter off and
this PING on, the endpoint pays one round trip more and nothing else, so the ratio shows what a
round trip alone costs in the same server. Used only by the benchmark.
"""
from config.settings import *  # noqa: F401,F403
from config.settings import MIDDLEWARE

MIDDLEWARE = [*MIDDLEWARE, "bench.control.settings.PingMiddleware"]


class PingMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from config.redis.clients import redis_client

        redis_client().ping()
        return self.get_response(request)
