"""The period boards' retention pass (leaderboard.services.period_boards_retain, issue 25).

A finished board is never scored again, so its expiry is the one its last score set: the pass
gives every day and week board in Redis the expiry of the current settings, both ways.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from django_rq.cron import DjangoCronScheduler

from leaderboard import keys
from leaderboard.services import board_put, period_boards_retain


def _put(user_id: str, period: str, at: datetime) -> str:
    board_put(entries=[(user_id, 10)], period=period, at=at)
    return keys.board(period, at)


def test_boards_finished_under_the_old_rule_get_the_settings_retention(redis):
    now = datetime.now(timezone.utc).replace(microsecond=0)
    yesterday, last_week = now - timedelta(days=1), now - timedelta(weeks=1)
    day, week = _put("u1", "day", yesterday), _put("u1", "week", last_week)
    # As the score script set them before issue 25: 2 days after the day, 8 days after the week.
    old = {day: int((keys.period_span("day", yesterday)[1] + timedelta(days=2)).timestamp()),
           week: int((keys.period_span("week", last_week)[1] + timedelta(days=8)).timestamp())}
    for board, expires in old.items():
        redis.expireat(board, expires)
        redis.expireat(keys.board_members(board), expires)

    assert period_boards_retain(now=int(now.timestamp())) == 2
    assert redis.expiretime(day) == keys.board_expires_at("day", yesterday) > old[day]
    assert redis.expiretime(week) == keys.board_expires_at("week", last_week) > old[week]
    assert redis.expiretime(keys.board_members(day)) == keys.board_expires_at("day", yesterday)
    assert redis.expiretime(day) == int((keys.period_span("day", yesterday)[1] + timedelta(days=15)).timestamp())
    assert not redis.exists(keys.board("day", now))  # no board is created


def test_lower_settings_trim_the_boards_past_them(redis, settings):
    now = datetime.now(timezone.utc).replace(microsecond=0)
    kept, gone = _put("u1", "day", now - timedelta(days=1)), _put("u1", "day", now - timedelta(days=5))
    weeks = [_put("u1", "week", now - timedelta(weeks=n)) for n in (0, 3)]
    settings.PERIOD_DAYS_KEPT = settings.PERIOD_WEEKS_KEPT = 1

    assert period_boards_retain(now=int(now.timestamp())) == 2
    assert redis.exists(kept, weeks[0]) == 2
    assert not redis.exists(gone, keys.board_members(gone), weeks[1], keys.board_members(weeks[1]))


def test_the_scheduler_runs_it_hourly_on_the_maintenance_queue(settings):
    scheduler = DjangoCronScheduler()
    scheduler.load_config_from_file("config.cron")
    (job,) = [j for j in scheduler.get_jobs() if j.name == "period-boards-retain"]
    assert job.func_name == "leaderboard.tasks.period_boards_retain"
    assert job.queue_name == "maintenance" and job.cron == settings.PERIOD_RETAIN_CRON == "43 * * * *"
