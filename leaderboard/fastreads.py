"""The fast read of `GET /api/v1/leaderboard` (registered in apps.py; config/http/fastpath.py serves it).

The same page read as `LeaderboardViewSet.list`, on the event loop's Redis pool, for a query its
own parser accepts as is; any other query goes to the full stack, which answers its 400. A
past period's board (`ago`, any value) is not what clients poll: it goes to the full stack too,
which judges its 400 (with `all`) and 404 (past retention).
"""
from __future__ import annotations

from config.http.fastpath import FastRead
from leaderboard import selectors
from leaderboard.apis import PageIn, plain_query


def _page_query(query: dict[str, str]) -> dict | None:
    if "ago" in query:
        return None
    plain = plain_query(PageIn, query)
    if plain is not None:
        del plain["ago"]  # absent: the current period
    return plain


async def _page(*, user_id: str, **query) -> dict:
    return await selectors.leaderboard_page_async(**query)  # any signed-in user reads the board


PAGE = FastRead(parse=_page_query, read=_page)
