"""The app with channels' own consumer machinery, for bench/ws_fanout.py's `stock-plain` row.

The consumers are today's, except that channels' `AsyncConsumer.__call__` and `dispatch` run
them: every layer message goes through `await_many_dispatch` (a new Task and an `asyncio.wait`
per message per socket) and `aclose_old_connections` (a thread hop per message per socket).
Used with bench/settings_stock_layer.py, this is the stock layer with a plain consumer.
"""
from channels.consumer import AsyncConsumer
from channels.routing import ProtocolTypeRouter, URLRouter
from django.urls import path

from accounts import keys as account_keys
from config.asgi import application as app
from leaderboard.consumers import LeaderboardConsumer, MeConsumer, _shared


class _Plain:
    dispatch = AsyncConsumer.dispatch

    async def __call__(self, scope, receive, send) -> None:
        self.groups, self.session_id, self._relay_task, self._closing = [], None, None, False
        self.last_id, self._last_order = "0-0", (0, 0)
        try:
            await AsyncConsumer.__call__(self, scope, receive, send)
        finally:
            await self._leave()

    async def _join(self, session_id: str) -> None:
        # AsyncConsumer.__call__ made the channel and receives on it.
        self.groups.append(account_keys.session_group(session_id))
        self.session_id = session_id
        _shared().watch(session_id)
        for group in self.groups:
            await self.channel_layer.group_add(group, self.channel_name)

    async def _relay(self) -> None:
        """await_many_dispatch delivers the layer's messages."""


class PlainLeaderboardConsumer(_Plain, LeaderboardConsumer):
    pass


class PlainMeConsumer(_Plain, MeConsumer):
    pass


application = ProtocolTypeRouter({
    "http": app.application_mapping["http"],
    "websocket": URLRouter([
        path("ws/leaderboard/", PlainLeaderboardConsumer.as_asgi()),
        path("ws/me/", PlainMeConsumer.as_asgi()),
    ]),
})
