"""The baseline's views: each makes the one Redis call of the endpoint it stands for, no more.

Sync views are minimal DRF APIViews calling our own selectors (so the Redis work is identical
and only the stack around it differs), served over WSGI. The async ones are plain Django async
views calling the async twins of the same selectors on `redis.asyncio` (DRF has no async views),
the fastest shape under an ASGI server.
"""
from __future__ import annotations

from django.http import JsonResponse
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.selectors import user_profile, user_profile_async
from config.redis.clients import redis_client
from leaderboard.selectors import leaderboard_page, leaderboard_page_async


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
    return JsonResponse(await user_profile_async(user_id=user_id), safe=False)


async def board_async(request):
    return JsonResponse(await leaderboard_page_async(limit=10, offset=0))
