"""`manage.py cleanup_inactive [--days N] [--dry-run]`: progress, a summary, and the same sweep."""
from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from accounts import keys
from tests.boards import board_points
from tests.ops.conftest import boards_at


def _run(*args: str) -> str:
    out = StringIO()
    call_command("cleanup_inactive", *args, stdout=out)
    return out.getvalue()


def test_command_removes_inactive_users_and_prints_a_summary(redis, member, now):
    idle = member("idle", days_ago=8)
    active = member("active", days_ago=2)

    output = _run()  # default: INACTIVE_AFTER_DAYS = 7

    assert "Sweep: users with no activity for 7 days" in output
    assert "Orphan pass" in output
    assert "removed 1 inactive users (5 board entries" in output
    assert all(board_points(redis, board, idle["id"]) is None for board in boards_at(now))
    assert board_points(redis, boards_at(now)[0], active["id"]) is not None
    assert redis.exists(keys.user_profile(idle["id"]))


def test_command_takes_fractional_days_and_dry_run(redis, member, now):
    idle = member("idle", days_ago=0.5)

    output = _run("--days", "0.25", "--dry-run")

    assert output.startswith("Dry run: nothing will be changed.")
    assert "no activity for 0.25 days" in output
    assert "would remove 1 inactive users" in output
    assert board_points(redis, boards_at(now)[0], idle["id"]) is not None

    assert "removed 1 inactive users" in _run("--days", "0.25")
    assert board_points(redis, boards_at(now)[0], idle["id"]) is None


@pytest.mark.parametrize("days", ["0", "-1", "abc", "nan", "inf"])
def test_command_rejects_a_meaningless_threshold(days):
    with pytest.raises(CommandError):
        _run("--days", days)
