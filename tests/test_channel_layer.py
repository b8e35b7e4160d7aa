"""The channel layer (config/realtime/channel_layer.py) on the real test Redis: reconnects, bounded queues, sync sends."""
from __future__ import annotations

import asyncio

from channels.layers import get_channel_layer

from config.realtime.channel_layer import group_send_sync

TIMEOUT = 5


def test_after_a_lost_connection_members_are_told_and_the_on_reconnect_hook_runs(redis, settings):
    calls: list[str] = []
    layers = {**settings.CHANNEL_LAYERS}
    layers["default"] = {**layers["default"], "CONFIG": {**layers["default"]["CONFIG"],
                                                         "on_reconnect": lambda: calls.append("reconnected")}}
    settings.CHANNEL_LAYERS = layers

    async def scenario():
        layer = get_channel_layer()
        member = await layer.new_channel()
        await layer.group_add("room", member)
        redis.client_kill_filter(_type="pubsub")
        assert await asyncio.wait_for(layer.receive(member), TIMEOUT) == {"type": "layer.reconnected"}
        assert calls == ["reconnected"]
        await layer.group_send("room", {"type": "after.reconnect"})  # the subscription is live again
        assert await asyncio.wait_for(layer.receive(member), TIMEOUT) == {"type": "after.reconnect"}
        await layer.flush()

    asyncio.run(scenario())


def test_a_member_over_its_bound_gets_nothing_more_and_its_callback_runs(settings):
    layers = {**settings.CHANNEL_LAYERS}
    layers["default"] = {**layers["default"], "CONFIG": {**layers["default"]["CONFIG"], "capacity": 2}}
    settings.CHANNEL_LAYERS = layers
    overflowed: list[str] = []

    async def scenario():
        layer = get_channel_layer()
        slow, fast = await layer.new_channel(), await layer.new_channel()
        layer.on_overflow(slow, lambda: overflowed.append(slow))
        for member in (slow, fast):
            await layer.group_add("room", member)
        for n in range(4):
            await layer.group_send("room", {"type": "tick", "n": n})
            got = await asyncio.wait_for(layer.receive(fast), TIMEOUT)  # fast keeps up
            assert got == {"type": "tick", "n": n}
        assert overflowed == [slow]
        assert [await layer.receive(slow) for _ in range(2)] == [{"type": "tick", "n": 0}, {"type": "tick", "n": 1}]
        await layer.flush()

    asyncio.run(scenario())


def test_a_sync_send_reaches_the_members_of_every_named_group_in_order():
    async def scenario():
        layer = get_channel_layer()
        member = await layer.new_channel()
        await layer.group_add("room.a", member)
        await layer.group_add("room-b_2", member)
        await asyncio.to_thread(group_send_sync, [("room.a", {"type": "one"}), ("room-b_2", {"type": "two"}),
                                                  ("nobody", {"type": "lost"})])
        got = [await asyncio.wait_for(layer.receive(member), TIMEOUT) for _ in range(2)]
        assert got == [{"type": "one"}, {"type": "two"}]
        await layer.flush()

    asyncio.run(scenario())
