"""Live group boards: /ws/leaderboard/?group=<id> with the global socket's protocol, replay included."""
from __future__ import annotations

import asyncio

import pytest
from channels.testing import WebsocketCommunicator

from config.asgi import application
from leaderboard import groups
from quizzes import services, tasks
from tests.quizzes.conftest import (  # noqa: F401  (pytest fixtures, shared)
    RIGHT,
    _generous_submission_limit,
    admin_client,
    quiz,
)

TIMEOUT = 3


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


def _score_sync(user: dict, quiz_id: str, answers: list[int]) -> None:
    accepted = services.submission_create(user_id=user["id"], quiz_id=quiz_id, answers=answers)
    assert tasks.submission_score(submission_id=accepted.id, quiz_id=quiz_id, user_id=user["id"]) is True


async def _score(user: dict, quiz_id: str, answers: list[int]) -> None:
    await asyncio.to_thread(_score_sync, user, quiz_id, answers)


@pytest.fixture
def classroom(make_user):
    """A group of alice (owner) and bob; carol is outside it."""
    alice, bob, carol = make_user("alice"), make_user("bob"), make_user("carol")
    group = groups.group_create(user_id=alice["id"], name="7b")
    groups.group_join(user_id=bob["id"], join_code=group["join_code"])
    return {"group": group, "alice": alice, "bob": bob, "carol": carol}


def test_group_socket_snapshot_live_events_and_replay(run, classroom, ticket, quiz):
    gid, alice, bob, carol = classroom["group"]["id"], classroom["alice"], classroom["bob"], classroom["carol"]

    async def scenario():
        socket = await _open(f"/ws/leaderboard/?ticket={ticket(bob)}&group={gid}")
        snapshot = await socket.receive_json_from(timeout=TIMEOUT)
        assert snapshot["type"] == "leaderboard.snapshot" and snapshot["group_id"] == gid
        assert snapshot["entries"] == []
        await _score(carol, quiz["id"], RIGHT)  # not a member: nothing on the group's socket
        await _score(alice, quiz["id"], RIGHT)
        entered = await socket.receive_json_from(timeout=TIMEOUT)
        changed = await socket.receive_json_from(timeout=TIMEOUT)
        assert (entered["type"], entered["group_id"], entered["username"], entered["rank"], entered["score"]) == (
            "leaderboard.entered_top10", gid, "alice", 1, 35)
        assert changed["type"] == "leaderboard.top10_changed" and changed["group_id"] == gid
        assert [(e["rank"], e["username"], e["score"]) for e in changed["entries"]] == [(1, "alice", 35)]
        assert await socket.receive_nothing(timeout=0.3)
        await socket.disconnect()

        await _score(bob, quiz["id"], [1, 1, 0])  # missed while away
        again = await _open(f"/ws/leaderboard/?ticket={ticket(bob)}&group={gid}&last_event_id={changed['event_id']}")
        missed = [await again.receive_json_from(timeout=TIMEOUT) for _ in range(2)]
        assert [m["type"] for m in missed] == ["leaderboard.entered_top10", "leaderboard.top10_changed"]
        assert [(e["username"], e["score"]) for e in missed[1]["entries"]] == [("alice", 35), ("bob", 25)]
        assert all(m["group_id"] == gid for m in missed)
        await again.disconnect()

    run(scenario)


def test_non_members_unknown_and_malformed_groups_close_with_4403(run, classroom, ticket):
    carol = classroom["carol"]

    async def scenario():
        for group in (classroom["group"]["id"], "0123456789abcdef", "nope", "ZZ"):
            socket = await _open(f"/ws/leaderboard/?ticket={ticket(carol)}&group={group}")
            assert await _closed_with(socket) == 4403

    run(scenario)


def test_a_removed_member_and_a_deleted_groups_sockets_close(run, classroom, ticket):
    gid, alice, bob = classroom["group"]["id"], classroom["alice"], classroom["bob"]

    async def scenario():
        removed = await _open(f"/ws/leaderboard/?ticket={ticket(bob)}&group={gid}")
        owner = await _open(f"/ws/leaderboard/?ticket={ticket(alice)}&group={gid}")
        for socket in (removed, owner):
            assert (await socket.receive_json_from(timeout=TIMEOUT))["type"] == "leaderboard.snapshot"
        await asyncio.to_thread(groups.group_member_remove, group_id=gid, user_id=bob["id"], actor_id=alice["id"])
        assert await _closed_with(removed) == 4403
        assert await owner.receive_nothing(timeout=0.3)  # the owner's socket stays open
        await asyncio.to_thread(groups.group_delete, group_id=gid, user_id=alice["id"])
        assert await _closed_with(owner) == 4403

    run(scenario)


def test_the_global_socket_is_unchanged_by_groups(run, classroom, ticket, quiz):
    async def scenario():
        socket = await _open(f"/ws/leaderboard/?ticket={ticket(classroom['carol'])}")
        snapshot = await socket.receive_json_from(timeout=TIMEOUT)
        assert snapshot["type"] == "leaderboard.snapshot" and "group_id" not in snapshot
        await socket.disconnect()

    run(scenario)
