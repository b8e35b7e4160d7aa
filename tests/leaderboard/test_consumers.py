"""WebSocket consumers through Channels' WebsocketCommunicator, on the real test Redis."""
from __future__ import annotations

import asyncio
import copy
import json
import subprocess
import sys

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings as django_settings

from accounts import keys as account_keys
from accounts import services as account_services
from config.asgi import application
from config.redis.clients import reset_clients
from leaderboard import keys, selectors
from leaderboard.events import events_announce, score_events_publish, with_event_id
from leaderboard.services import board_put
from tests.conftest import point_redis
from tests.processes import ROOT, process_env

TIMEOUT = 3


def settings_prefix() -> str:
    return django_settings.CHANNEL_LAYERS["default"]["CONFIG"]["prefix"]


async def _open(path: str) -> WebsocketCommunicator:
    socket = WebsocketCommunicator(application, path)
    connected, _ = await socket.connect(timeout=TIMEOUT)
    assert connected
    return socket


async def _closed_with(socket: WebsocketCommunicator) -> int:
    while True:
        message = await socket.receive_output(timeout=TIMEOUT)
        if message["type"] == "websocket.close":
            return message["code"]


async def _events(socket: WebsocketCommunicator, count: int) -> list[dict]:
    return [await socket.receive_json_from(timeout=TIMEOUT) for _ in range(count)]


def _score_sync(user: dict, *, submission: str, total: int, rank: int | None, before: int | None | str = "same",
                changed: bool = True) -> dict[str, str]:
    """Apply `total` to the board as the scoring script would, then publish the events."""
    if rank is not None:
        board_put(entries=[(user["id"], total)])
    return score_events_publish(
        user_id=user["id"], username=user["username"], submission_id=submission, score=10,
        total_score=total, rank_before=rank if before == "same" else before, rank_after=rank,
        top10_changed=changed,
    )


async def _score(user: dict, **kwargs) -> dict[str, str]:
    """_score_sync from a thread of its own, as a worker process would publish (no event loop)."""
    return await asyncio.to_thread(_score_sync, user, **kwargs)


def _layer_capacity(settings, capacity: int) -> None:
    """Bound every socket's layer queue to `capacity` messages (the layer is rebuilt)."""
    layers = copy.deepcopy(settings.CHANNEL_LAYERS)
    layers["default"]["CONFIG"]["capacity"] = capacity
    settings.CHANNEL_LAYERS = layers


@pytest.fixture
def alice(make_user, board):
    user = make_user("alice")
    board(user["id"], 120)
    return user


def test_bad_missing_and_used_tickets_close_with_4401(run, alice, ticket):
    used = ticket(alice)
    account_services.ws_ticket_redeem(ticket=used)

    async def scenario():
        for path in ("/ws/leaderboard/?ticket=nope", "/ws/me/", f"/ws/me/?ticket={used}"):
            socket = await _open(path)
            assert await _closed_with(socket) == 4401, path

    run(scenario)


def test_malformed_last_event_id_closes_with_4400(run, alice, ticket):
    async def scenario():
        socket = await _open(f"/ws/leaderboard/?ticket={ticket(alice)}&last_event_id=yesterday")
        assert await _closed_with(socket) == 4400

    run(scenario)


def test_snapshots_then_live_events_on_both_sockets(run, alice, ticket):
    async def scenario():
        board = await _open(f"/ws/leaderboard/?ticket={ticket(alice)}")
        me = await _open(f"/ws/me/?ticket={ticket(alice)}")
        snap = await board.receive_json_from(timeout=TIMEOUT)
        assert snap["type"] == "leaderboard.snapshot" and snap["event_id"] == "0-0"
        assert snap["entries"] == [{"rank": 1, "user_id": alice["id"], "username": "alice", "score": 120}]
        mine = await me.receive_json_from(timeout=TIMEOUT)
        assert mine["type"] == "me.snapshot" and mine["rank"] == 1 and mine["username"] == "alice"

        ids = await _score(alice, submission="s1", total=120, rank=1, before=None)
        got = await _events(board, 2)
        assert [(e["type"], e["event_id"]) for e in got] == [
            ("leaderboard.entered_top10", ids["entered_top10.board"]),
            ("leaderboard.top10_changed", ids["top10_changed"]),
        ]
        assert got[1]["entries"][0]["username"] == "alice"
        got = await _events(me, 2)
        assert got[0] == {"type": "submission.processed", "submission_id": "s1", "score": 10,
                          "total_score": 120, "rank": 1, "event_id": ids["submission.processed"]}
        assert got[1]["type"] == "leaderboard.entered_top10"
        assert await me.receive_nothing(timeout=0.2)
        await board.disconnect()
        await me.disconnect()

    run(scenario)


def test_other_users_personal_events_are_not_delivered(run, alice, make_user, ticket):
    bob = make_user("bob")

    async def scenario():
        me = await _open(f"/ws/me/?ticket={ticket(alice)}")
        await me.receive_json_from(timeout=TIMEOUT)
        await _score(bob, submission="b1", total=5, rank=2, changed=False)
        assert await me.receive_nothing(timeout=0.3)
        await me.disconnect()

    run(scenario)


def test_reconnect_replays_exactly_the_missed_events(run, alice, ticket):
    async def scenario():
        board = await _open(f"/ws/leaderboard/?ticket={ticket(alice)}")
        await board.receive_json_from(timeout=TIMEOUT)
        first = (await _score(alice, submission="s1", total=130, rank=1, changed=True))["top10_changed"]
        assert (await board.receive_json_from(timeout=TIMEOUT))["event_id"] == first
        await board.disconnect()

        missed = [(await _score(alice, submission=f"s{i}", total=130 + i, rank=1))["top10_changed"] for i in range(2, 5)]
        again = await _open(f"/ws/leaderboard/?ticket={ticket(alice)}&last_event_id={first}")
        replayed = await _events(again, 3)
        assert [e["event_id"] for e in replayed] == missed
        assert replayed[-1]["entries"][0]["score"] == 134  # the board as it is after the last one
        live = (await _score(alice, submission="s5", total=200, rank=1))["top10_changed"]
        assert (await again.receive_json_from(timeout=TIMEOUT))["event_id"] == live
        assert await again.receive_nothing(timeout=0.2)
        await again.disconnect()

    run(scenario)


def test_an_event_published_while_replaying_arrives_once(run, alice, ticket, monkeypatch):
    real_range = selectors.events_range
    racing: list[str] = []

    async def range_with_a_race(**kwargs):
        if not racing:  # published after the socket subscribed, before the Stream is read
            racing.append((await _score(alice, submission="race", total=1, rank=None, changed=False))["submission.processed"])
        return await real_range(**kwargs)

    async def scenario():
        first = (await _score(alice, submission="s1", total=1, rank=None, changed=False))["submission.processed"]
        monkeypatch.setattr(selectors, "events_range", range_with_a_race)
        me = await _open(f"/ws/me/?ticket={ticket(alice)}&last_event_id={first}")
        got = await me.receive_json_from(timeout=TIMEOUT)
        assert got["submission_id"] == "race" and got["event_id"] == racing[0]
        assert await me.receive_nothing(timeout=0.3)
        await me.disconnect()

    run(scenario)


def test_a_trimmed_last_event_id_gets_a_fresh_snapshot(run, alice, ticket, redis):
    async def scenario():
        old = (await _score(alice, submission="s1", total=1, rank=1))["top10_changed"]
        redis.xtrim(keys.events_stream(), maxlen=0)
        newest = (await _score(alice, submission="s2", total=2, rank=1))["top10_changed"]
        board = await _open(f"/ws/leaderboard/?ticket={ticket(alice)}&last_event_id={old}")
        snap = await board.receive_json_from(timeout=TIMEOUT)
        assert snap["type"] == "leaderboard.snapshot" and snap["event_id"] == newest
        await board.disconnect()

    run(scenario)


def test_logout_closes_that_sessions_sockets_with_4401(run, alice, make_user, ticket, auth_client, api):
    second = api.post("/api/v1/auth/login", {"username": "alice", "password": alice["password"]},
                      format="json").json()["token"]

    async def scenario():
        ended = await _open(f"/ws/me/?ticket={ticket(alice)}")
        other = await _open(f"/ws/leaderboard/?ticket={ticket({**alice, 'token': second})}")
        await ended.receive_json_from(timeout=TIMEOUT)
        await other.receive_json_from(timeout=TIMEOUT)
        resp = await sync_to_async(auth_client(alice["token"]).post)("/api/v1/auth/logout")
        assert resp.status_code == 204
        assert await _closed_with(ended) == 4401
        assert await other.receive_nothing(timeout=0.3)  # another session's socket stays open
        await sync_to_async(auth_client(second).post)("/api/v1/auth/logout-all")
        assert await _closed_with(other) == 4401

    run(scenario)


def test_a_password_change_closes_the_other_sessions_sockets_with_4401(run, alice, ticket, auth_client, api):
    second = api.post("/api/v1/auth/login", {"username": "alice", "password": alice["password"]},
                      format="json").json()["token"]

    async def scenario():
        mine = await _open(f"/ws/me/?ticket={ticket(alice)}")
        other = await _open(f"/ws/leaderboard/?ticket={ticket({**alice, 'token': second})}")
        await mine.receive_json_from(timeout=TIMEOUT)
        await other.receive_json_from(timeout=TIMEOUT)
        resp = await sync_to_async(auth_client(alice["token"]).post)(
            "/api/v1/auth/password", {"current_password": alice["password"], "new_password": "new-secret-22"},
            format="json")
        assert resp.status_code == 204
        assert await _closed_with(other) == 4401
        assert await mine.receive_nothing(timeout=0.3)  # the changing session's socket stays open
        await mine.disconnect()

    run(scenario)


@pytest.mark.parametrize("ending", ["ban", "erasure"])
def test_a_ban_or_an_erasure_closes_every_socket_of_the_user_with_4401(run, alice, ticket, auth_client, api, ending):
    account_services.user_create(username="admin", password="correct-horse-1", role="admin")
    admin = auth_client(api.post("/api/v1/auth/login", {"username": "admin", "password": "correct-horse-1"},
                                 format="json").json()["token"])

    async def scenario():
        me = await _open(f"/ws/me/?ticket={ticket(alice)}")
        board = await _open(f"/ws/leaderboard/?ticket={ticket(alice)}")
        await me.receive_json_from(timeout=TIMEOUT)
        await board.receive_json_from(timeout=TIMEOUT)
        if ending == "ban":
            resp = await sync_to_async(admin.post)(f"/api/v1/users/{alice['id']}/ban", {"reason": "x"}, format="json")
            assert resp.status_code == 200
        else:
            resp = await sync_to_async(auth_client(alice["token"]).delete)(
                "/api/v1/me", {"password": alice["password"]}, format="json")
            assert resp.status_code == 204
        assert await _closed_with(me) == 4401
        assert await _closed_with(board) == 4401

    run(scenario)


def test_idle_session_expiry_closes_the_socket(run, settings, alice, ticket, redis):
    settings.WS_SESSION_CHECK_SECONDS = 0.05

    async def scenario():
        socket = await _open(f"/ws/leaderboard/?ticket={ticket(alice)}")
        await socket.receive_json_from(timeout=TIMEOUT)
        redis.delete(account_keys.session(account_keys.session_id_for(alice["token"])))  # idled out
        assert await _closed_with(socket) == 4401

    run(scenario)


def test_a_socket_over_its_queue_bound_is_closed_with_4429_and_can_replay(run, settings, alice, ticket):
    _layer_capacity(settings, 2)
    sent: list[dict] = []
    never = asyncio.Event()

    async def client_stops_reading(scope, receive, send):
        async def held(message):
            if message["type"] == "websocket.send":
                sent.append(message)
                if len(sent) > 1:  # the snapshot went out; then the server's send blocks for good
                    await never.wait()
            await send(message)

        await application(scope, receive, held)

    async def scenario():
        board = WebsocketCommunicator(client_stops_reading, f"/ws/leaderboard/?ticket={ticket(alice)}")
        assert (await board.connect(timeout=TIMEOUT))[0]
        snapshot = await board.receive_json_from(timeout=TIMEOUT)
        ids = [(await _score(alice, submission=f"s{n}", total=200 + n, rank=1))["top10_changed"] for n in range(5)]
        assert await _closed_with(board) == 4429
        assert len(sent) == 2  # the snapshot and the stuck event; nothing piled up behind them
        again = await _open(f"/ws/leaderboard/?ticket={ticket(alice)}&last_event_id={snapshot['event_id']}")
        assert [e["event_id"] for e in await _events(again, 5)] == ids
        await again.disconnect()

    run(scenario)


async def _resubscribed(redis) -> None:
    """Drop the layer's Pub/Sub connection; it reconnects and resubscribes by itself."""
    redis.client_kill_filter(_type="pubsub")


def test_events_lost_while_resubscribing_are_read_from_the_stream(run, alice, ticket, redis):
    async def scenario():
        board = await _open(f"/ws/leaderboard/?ticket={ticket(alice)}")
        await board.receive_json_from(timeout=TIMEOUT)
        # An event that reached the Stream while the process's subscription was down...
        lost = redis.xadd(keys.events_stream(), {"body": '{"type":"leaderboard.top10_changed","entries":[]}'})
        # ...is delivered once the subscription is acknowledged again.
        await _resubscribed(redis)
        got = await board.receive_json_from(timeout=TIMEOUT)
        assert got == {"type": "leaderboard.top10_changed", "entries": [], "event_id": lost}
        await board.disconnect()

    run(scenario)


def test_killed_pubsub_connection_loses_no_event(run, alice, ticket, redis):
    async def scenario():
        board = await _open(f"/ws/leaderboard/?ticket={ticket(alice)}")
        await board.receive_json_from(timeout=TIMEOUT)
        redis.client_kill_filter(_type="pubsub")
        ids = [(await _score(alice, submission=f"s{i}", total=i, rank=1))["top10_changed"] for i in range(3)]
        got = await _events(board, 3)
        assert [e["event_id"] for e in got] == ids
        assert await board.receive_nothing(timeout=0.5)
        await board.disconnect()

    run(scenario)


def test_the_board_group_is_unsubscribed_with_its_last_socket(run, alice, ticket, redis):
    channel = settings_prefix() + "__group__" + keys.BOARD_GROUP

    async def subscribers() -> int:
        return dict(redis.pubsub_numsub(channel))[channel]

    async def scenario():
        board = await _open(f"/ws/leaderboard/?ticket={ticket(alice)}")
        await board.receive_json_from(timeout=TIMEOUT)
        assert await subscribers() == 1
        await board.disconnect()
        for _ in range(100):  # the UNSUBSCRIBE went out on another connection: let Redis apply it
            if await subscribers() == 0:
                break
            await asyncio.sleep(0.01)
        assert await subscribers() == 0

    run(scenario)


def test_a_malformed_message_on_the_channel_does_not_stop_delivery(run, alice, ticket, redis):
    async def scenario():
        board = await _open(f"/ws/leaderboard/?ticket={ticket(alice)}")
        await board.receive_json_from(timeout=TIMEOUT)
        redis.publish(settings_prefix() + "__group__" + keys.BOARD_GROUP, "not an event")
        await asyncio.to_thread(events_announce, [(keys.BOARD_GROUP, {"type": "no.such.handler"})])
        event_id = (await _score(alice, submission="s1", total=1, rank=1))["top10_changed"]
        assert (await board.receive_json_from(timeout=TIMEOUT))["event_id"] == event_id
        await board.disconnect()

    run(scenario)


def test_redis_unreachable_closes_with_4503(run, settings, alice, ticket):
    issued = ticket(alice)
    point_redis(settings, "redis://127.0.0.1:1/0")  # nothing listens there

    async def scenario():
        socket = await _open(f"/ws/leaderboard/?ticket={issued}")
        assert await _closed_with(socket) == 4503

    run(scenario)


def test_more_sockets_than_redis_connections_all_resync(run, settings, alice, make_user, ticket, redis):
    settings.REDIS_MAX_CONNECTIONS = 4
    settings.WS_MAX_SOCKETS_PER_USER = 0  # 30 sockets of one user: the per-user cap is not under test
    reset_clients()
    tickets = [ticket(alice) for _ in range(30)]

    async def scenario():
        sockets = await asyncio.gather(*(_open(f"/ws/leaderboard/?ticket={t}") for t in tickets))
        for socket in sockets:
            assert (await socket.receive_json_from(timeout=TIMEOUT))["type"] == "leaderboard.snapshot"
        lost = redis.xadd(keys.events_stream(), {"body": '{"type":"leaderboard.top10_changed","entries":[]}'})
        await _resubscribed(redis)
        for socket in sockets:
            assert (await socket.receive_json_from(timeout=TIMEOUT))["event_id"] == lost
            await socket.disconnect()

    run(scenario)


ANNOUNCER = """
import sys

import django

django.setup()
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

group, message = sys.argv[1], json.loads(sys.argv[2])
async_to_sync(get_channel_layer().group_send)(group, message)
"""


def _announce_from_another_process(group: str, message: dict) -> None:
    """What a management command or `manage.py shell` would do: a plain sync group_send."""
    done = subprocess.run([sys.executable, "-c", "import json\n" + ANNOUNCER, group, json.dumps(message)],
                          cwd=ROOT, env=process_env(), capture_output=True, timeout=30)
    assert done.returncode == 0, done.stderr.decode()[-2000:]


def test_a_plain_sync_group_send_from_another_process_reaches_a_connected_socket(run, alice, ticket, redis):
    async def scenario():
        board = await _open(f"/ws/leaderboard/?ticket={ticket(alice)}")
        snapshot = await board.receive_json_from(timeout=TIMEOUT)
        body = '{"type":"leaderboard.top10_changed","entries":[]}'
        event_id = redis.xadd(keys.events_stream(), {"body": body})
        text = with_event_id(body, event_id)
        await asyncio.to_thread(_announce_from_another_process, keys.BOARD_GROUP,
                                {"type": "feed.event", "event_id": event_id, "after": snapshot["event_id"],
                                 "text": text})
        assert await board.receive_from(timeout=TIMEOUT) == text
        session = account_keys.session_group(account_keys.session_id_for(alice["token"]))
        await asyncio.to_thread(_announce_from_another_process, session, {"type": "session.ended"})
        assert await _closed_with(board) == 4401

    run(scenario)
