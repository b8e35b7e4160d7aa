"""The fast read of `GET /api/v1/me` (registered in apps.py; config/http/fastpath.py serves it).

The same profile read as `MeViewSet.list`, on the event loop's Redis pool: the session script,
then one pipeline. config/http/fastpath.py explains which requests qualify and why it exists.
"""
from __future__ import annotations

from accounts import selectors
from config.http.fastpath import FastRead


def _no_query(query: dict[str, str]) -> dict:
    return {}  # `me` reads no query parameter; the full stack ignores any, and so does this


async def _profile(*, user_id: str) -> dict | None:
    return await selectors.user_profile_async(user_id=user_id)  # None: the full stack's 404


ME = FastRead(parse=_no_query, read=_profile)
