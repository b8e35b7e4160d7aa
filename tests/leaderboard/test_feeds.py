"""Feed: a socket whose sends are held back (server backpressure) is dropped, not waited for."""
from __future__ import annotations

import asyncio

from leaderboard import keys
from leaderboard.feeds import Feed
from leaderboard.hub import hub


def test_a_send_stuck_on_a_client_that_does_not_read_is_abandoned(run, settings):
    settings.WS_QUEUE_MAX = 2
    sent: list[str] = []
    closed: list[int] = []
    never = asyncio.Event()

    async def send(text: str) -> None:
        sent.append(text)
        if len(sent) > 1:  # the snapshot went out; then the client stops reading
            await never.wait()

    async def close(code: int) -> None:
        closed.append(code)

    async def snapshot() -> dict:
        return {"type": "leaderboard.snapshot", "entries": [], "event_id": "0-0"}

    async def scenario():
        feed = Feed(topic=keys.BOARD_TOPIC, session_id="s", snapshot=snapshot, send=send, close=close)
        await feed.start(None)
        for n in range(1, 6):
            hub().handle({"type": "message", "channel": keys.events_channel(), "data": f"board\n{n}-0\n{{}}"})
            await asyncio.sleep(0)  # the sender takes the first event and gets stuck sending it
        for _ in range(100):
            if closed:
                break
            await asyncio.sleep(0.01)
        assert closed == [4429]
        assert len(sent) == 2  # the snapshot and the stuck event; nothing piled up behind them
        await feed.stop()

    run(scenario)
