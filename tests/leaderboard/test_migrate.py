"""`manage.py migrate_leaderboard`: boards of the legacy encoding keep their points and tie order."""
from __future__ import annotations

from datetime import datetime, timezone
from io import StringIO

from django.core.management import call_command

from accounts import keys as account_keys
from accounts import services as account_services
from leaderboard import encoding, keys
from leaderboard.services import board_put
from tests.boards import board_points, board_users

NOW = datetime.now(timezone.utc)


def _legacy(points: int, at: int) -> int:
    """A score as the legacy encoding wrote it: points * 2^31 + (2^31 - 1 - seconds since 2024)."""
    return points * encoding.LEGACY_TIME_SPAN + (encoding.LEGACY_TIME_SPAN - 1 - (at - encoding.LEGACY_EPOCH))


def _users(*names: str) -> list[str]:
    return [account_services.user_create(username=n, password="correct-horse-1")["id"] for n in names]


def _migrate() -> str:
    out = StringIO()
    call_command("migrate_leaderboard", stdout=out)
    return out.getvalue()


def test_legacy_boards_keep_points_order_and_ttl_and_a_rerun_changes_nothing(redis, api):
    first, second, third, fourth = _users("first", "second", "third", "fourth")
    t = 1_780_000_000
    all_board, day_board = keys.board("all"), keys.board("day", NOW)
    redis.zadd(all_board, {first: _legacy(90, t), second: _legacy(90, t + 3), third: _legacy(120, t + 9),
                           fourth: _legacy(4_000_000, t + 1)})
    redis.zadd(day_board, {second: _legacy(40, t + 3), first: _legacy(40, t + 5)})
    redis.expireat(day_board, keys.board_expires_at("day", NOW))
    evicted = _users("evicted")[0]
    redis.hset(account_keys.user_profile(evicted), "evicted", _legacy(90, t + 1))

    output = _migrate()

    assert f"{all_board}: 4 entries converted" in output and "evicted users: 1 converted" in output
    assert board_users(redis, all_board) == [fourth, third, first, second]
    assert [board_points(redis, all_board, u) for u in (fourth, third, first, second)] == [4_000_000, 120, 90, 90]
    assert board_users(redis, day_board) == [second, first]  # second reached 40 first that day
    assert redis.expiretime(day_board) == redis.expiretime(keys.board_members(day_board)) > 0
    # A user who reaches 90 after the migration ranks after everyone who had 90 before.
    board_put(entries=[(_users("newcomer")[0], 90)])
    assert board_users(redis, all_board)[2:] == [first, second, board_users(redis, all_board)[-1]]
    # The evicted user's remembered entry comes back on login, between first (t) and second (t+3).
    login = api.post("/api/v1/auth/login", {"username": "evicted", "password": "correct-horse-1"}, format="json")
    assert login.status_code == 200
    assert board_users(redis, all_board)[2:5] == [first, evicted, second]

    before = {k: redis.dump(k) for k in redis.keys("qb:lb:*")}
    assert "0 entries converted" in _migrate()
    assert {k: redis.dump(k) for k in redis.keys("qb:lb:*")} == before
