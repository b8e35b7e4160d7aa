"""The baseline's views: each makes the one Redis call of the endpoint it stands for, no more.

Sync views are minimal DRF APIViews calling our own selectors (so the Redis work is identical
and only the stack around it differs), served over WSGI. The async ones are plain Django async
views issuing the same commands on `redis.asyncio` (DRF has no async views), the fastest shape
under an ASGI server.
"""
from __future__ import annotations

from django.http import JsonResponse
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import keys as account_keys
from accounts.selectors import user_profile
from config.redis import async_redis_client, redis_client
from leaderboard import keys as lb_keys
from leaderboard.selectors import _board_page, _entries, leaderboard_page


def _profile(row: dict, rank: int | None) -> dict | None:
    if not row:
        return None
    return {
        "id": row["id"],
        "username": row["username"],
        "total_score": int(row.get("total_score", 0)),
        "quizzes_solved": int(row.get("quizzes_solved", 0)),
        "rank": None if rank is None else rank + 1,
    }


class HealthApi(APIView):
    def get(self, request):
        redis_client().ping()
        return Response({"status": "ok"})


class ProfileApi(APIView):
    def get(self, request, user_id: str):
        return Response(user_profile(user_id=user_id))


class BoardApi(APIView):
    def get(self, request):
        return Response(leaderboard_page(limit=10, offset=0))


async def profile_async(request, user_id: str):
    pipe = async_redis_client().pipeline(transaction=False)
    pipe.hgetall(account_keys.user_profile(user_id))
    pipe.zrevrank(lb_keys.board("all"), user_id)
    row, rank = await pipe.execute()
    return JsonResponse(_profile(row, rank), safe=False)


_async_scripts: dict[int, object] = {}


async def board_async(request):
    client = async_redis_client()
    script = _async_scripts.get(id(client))
    if script is None:
        script = _async_scripts[id(client)] = client.register_script(_board_page.source)
    keys = [lb_keys.board("all"), account_keys.users_names()]
    total, flat, _ = await script(keys=keys, args=[0, 9], client=client)
    return JsonResponse({"total": int(total), "entries": _entries(flat, 0)})
