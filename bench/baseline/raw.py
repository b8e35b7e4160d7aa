"""A no-framework ASGI app: the baseline's Redis reads straight on the server, nothing around them.

The floor under every framework: what the server, `redis.asyncio` and `json` cost for one read.
It calls our own async selectors, so the Redis work is the read our endpoints make (they also run
the session script first: two round trips against this one).
"""
import json
import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.baseline.settings")
django.setup()  # for config.redis.clients' settings

from accounts.selectors import user_profile_async  # noqa: E402
from config.redis.clients import async_redis_client  # noqa: E402
from leaderboard.selectors import leaderboard_page_async  # noqa: E402

PROFILE = "/raw/profile/"


async def application(scope, receive, send):
    if scope["type"] != "http":
        return
    path = scope["path"]
    status, data = 200, None
    if path.startswith(PROFILE):
        data = await user_profile_async(user_id=path[len(PROFILE):])
    elif path == "/raw/leaderboard":
        data = await leaderboard_page_async(limit=10, offset=0)
    elif path == "/api/v1/health":  # what the bench waits for before it measures
        data = {"status": "ok" if await async_redis_client().ping() else "down"}
    else:
        status = 404
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
