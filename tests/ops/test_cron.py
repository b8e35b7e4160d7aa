"""The hourly cleanup is registered with RQ's cron scheduler (what `manage.py rqcron config.cron`
loads) and runs on a real worker."""
from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django_rq.cron import DjangoCronScheduler
from rq import Queue, SimpleWorker
from rq.job import JobStatus

from tests.boards import board_points
from tests.ops.conftest import boards_at


def _scheduler() -> DjangoCronScheduler:
    scheduler = DjangoCronScheduler()
    scheduler.load_config_from_file("config.cron")
    return scheduler


def test_cleanup_is_scheduled_hourly_on_the_maintenance_queue():
    jobs = {job.name: job for job in _scheduler().get_jobs()}

    job = jobs["inactive-users-cleanup"]
    assert job.func_name == "accounts.tasks.inactive_users_cleanup"
    assert job.queue_name == "maintenance" and "maintenance" in settings.RQ_QUEUES
    assert job.cron == settings.INACTIVE_SWEEP_CRON == "17 * * * *"
    first = job.next_enqueue_time
    job.set_enqueue_time(first)
    assert job.next_enqueue_time - first == timedelta(hours=1)


def test_scheduled_job_runs_the_cleanup_on_a_worker(redis, member, now):
    idle = member("idle", days_ago=8)
    scheduler = _scheduler()
    (cron_job,) = [j for j in scheduler.get_jobs() if j.name == "inactive-users-cleanup"]

    job = cron_job.enqueue(scheduler.connection)  # what the scheduler does when the hour comes
    queue = Queue("maintenance", connection=scheduler.connection)
    SimpleWorker([queue], connection=scheduler.connection).work(burst=True)

    assert job.get_status(refresh=True) == JobStatus.FINISHED
    result = job.return_value()
    assert result["days"] == 7 and result["sweep"]["evicted"] == 1
    assert all(board_points(redis, board, idle["id"]) is None for board in boards_at(now))
