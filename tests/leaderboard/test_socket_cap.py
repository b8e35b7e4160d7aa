"""The cap on each user's open WebSockets (WS_MAX_SOCKETS_PER_USER), counted in Redis with a lease
per socket: one more socket is refused with 4429, a closed one frees its place, and the leases
of a process that died lapse by themselves."""
from __future__ import annotations

import asyncio
import time

import pytest
from channels.testing import WebsocketCommunicator
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from config.asgi import application
from leaderboard import keys, services
from tests.leaderboard.test_consumers import TIMEOUT, _open

CAP = 3


@pytest.fixture(autouse=True)
def _cap(settings):
    settings.WS_MAX_SOCKETS_PER_USER = CAP
    settings.WS_SOCKET_LEASE_SECONDS = 60


async def _refused(path: str) -> dict:
    """Open a socket the server accepts and then closes; return its close message."""
    socket = WebsocketCommunicator(application, path)
    connected, _ = await socket.connect(timeout=TIMEOUT)
    assert connected  # accepted first, so the client sees the close code, not an HTTP 403
    message = await socket.receive_output(timeout=TIMEOUT)
    assert message["type"] == "websocket.close", message
    return message


async def _snapshot(socket: WebsocketCommunicator) -> str:
    return (await socket.receive_json_from(timeout=TIMEOUT))["type"]


def test_one_socket_over_the_cap_is_refused_with_4429_until_one_closes(run, make_user, ticket, redis):
    alice, bob = make_user("alice"), make_user("bob")

    async def scenario():
        paths = ["/ws/leaderboard/", "/ws/me/", "/ws/leaderboard/"]  # both paths count together
        sockets = [await _open(f"{path}?ticket={ticket(alice)}") for path in paths]
        assert [await _snapshot(s) for s in sockets] == ["leaderboard.snapshot", "me.snapshot", "leaderboard.snapshot"]
        assert redis.zcard(keys.user_sockets(alice["id"])) == CAP

        refused = await _refused(f"/ws/me/?ticket={ticket(alice)}")
        assert (refused["code"], refused.get("reason")) == (4429, "too many sockets")
        # The refused socket took no place, and the open ones go on; another user is not affected.
        assert redis.zcard(keys.user_sockets(alice["id"])) == CAP
        other = await _open(f"/ws/leaderboard/?ticket={ticket(bob)}")
        assert await _snapshot(other) == "leaderboard.snapshot"

        await sockets[0].disconnect()
        for _ in range(100):  # the close is handled on the server's side of the communicator
            if redis.zcard(keys.user_sockets(alice["id"])) < CAP:
                break
            await asyncio.sleep(0.02)
        again = await _open(f"/ws/me/?ticket={ticket(alice)}")
        assert await _snapshot(again) == "me.snapshot"
        for socket in (*sockets[1:], other, again):
            await socket.disconnect()

    run(scenario)
    assert not redis.exists(keys.user_sockets(alice["id"]))  # every place given back


def test_the_leases_of_a_process_that_died_lapse_and_let_the_user_in(run, make_user, ticket, redis):
    alice = make_user("alice")
    lease_ms = 60_000
    now = int(time.time() * 1000)

    async def scenario():
        # A web process held the cap for alice, then died: nothing renews its leases.
        for n in range(CAP):
            assert await services.socket_lease_take(user_id=alice["id"], socket_id=f"dead-{n}", now_ms=now - lease_ms)
        assert 0 < redis.pttl(keys.user_sockets(alice["id"])) <= 2 * lease_ms
        # Past the leases' end they no longer count.
        socket = await _open(f"/ws/leaderboard/?ticket={ticket(alice)}")
        assert await _snapshot(socket) == "leaderboard.snapshot"
        assert not any(m.startswith("dead-") for m in redis.zrange(keys.user_sockets(alice["id"]), 0, -1))
        await socket.disconnect()

    run(scenario)


def test_leases_count_until_they_end_and_renewal_keeps_them(run, make_user):
    uid = make_user("alice")["id"]
    t0, lease_ms = 1_800_000_000_000, 60_000

    async def scenario():
        assert [await services.socket_lease_take(user_id=uid, socket_id=f"s{n}", now_ms=t0) for n in range(CAP + 1)] == [
            True, True, True, False]
        assert not await services.socket_lease_take(user_id=uid, socket_id="x", now_ms=t0 + lease_ms - 1)
        # Renewed half-way, two leases outlive the third: one place frees, and only one.
        await services.socket_leases_renew(leases={uid: ["s0", "s1", "gone"]}, now_ms=t0 + lease_ms // 2)
        assert await services.socket_lease_take(user_id=uid, socket_id="s3", now_ms=t0 + lease_ms + 1)
        assert not await services.socket_lease_take(user_id=uid, socket_id="s4", now_ms=t0 + lease_ms + 2)
        # Renewing a socket that was never counted (or was released) does not give it a place.
        await services.socket_lease_release(user_id=uid, socket_id="s3")
        await services.socket_leases_renew(leases={uid: ["s3"]}, now_ms=t0 + lease_ms + 3)
        assert await services.socket_lease_take(user_id=uid, socket_id="s5", now_ms=t0 + lease_ms + 4)

    run(scenario)


def test_a_web_process_renews_its_sockets_leases(run, settings, make_user, ticket, redis):
    settings.WS_SOCKET_LEASE_SECONDS = 1  # renewed every third of a second
    alice = make_user("alice")

    async def scenario():
        socket = await _open(f"/ws/leaderboard/?ticket={ticket(alice)}")
        await _snapshot(socket)
        name = keys.user_sockets(alice["id"])
        (member, first), = redis.zrange(name, 0, -1, withscores=True)
        for _ in range(250):  # generous: renewals are due every 0.33 s
            await asyncio.sleep(0.02)
            if redis.zscore(name, member) > first:
                break
        assert redis.zscore(name, member) > first
        assert redis.zscore(name, member) > time.time() * 1000  # still a live lease, past the first one's end
        await socket.disconnect()

    run(scenario)


def test_the_cap_holds_across_web_processes(run, web_server_factory, make_user, auth_client, redis):
    """Two Procfile web processes on one Redis: the cap counts the user's sockets on both."""
    env = {"WS_MAX_SOCKETS_PER_USER": str(CAP)}
    one, two = web_server_factory(**env), web_server_factory(**env)
    alice = make_user("alice")

    def issue() -> str:
        return auth_client(alice["token"]).post("/api/v1/auth/ws-ticket").json()["ticket"]

    async def scenario():
        held = [await connect(f"{one.ws_url}/ws/leaderboard/?ticket={issue()}") for _ in range(CAP - 1)]
        held.append(await connect(f"{two.ws_url}/ws/me/?ticket={issue()}"))
        for ws in held:
            await asyncio.wait_for(ws.recv(), TIMEOUT)  # the snapshot
        for server in (one, two):
            extra = await connect(f"{server.ws_url}/ws/leaderboard/?ticket={issue()}")
            with pytest.raises(ConnectionClosed) as closed:
                await asyncio.wait_for(extra.recv(), TIMEOUT)
            assert (closed.value.rcvd.code, closed.value.rcvd.reason) == (4429, "too many sockets")
        await held[0].close()
        for _ in range(250):
            if redis.zcard(keys.user_sockets(alice["id"])) < CAP:
                break
            await asyncio.sleep(0.02)
        freed = await connect(f"{two.ws_url}/ws/leaderboard/?ticket={issue()}")
        assert '"leaderboard.snapshot"' in await asyncio.wait_for(freed.recv(), TIMEOUT)
        for ws in (*held[1:], freed):
            await ws.close()

    run(scenario)
