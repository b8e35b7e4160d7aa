"""Periodic jobs, run by the Procfile's `scheduler` process (`manage.py rqcron config.cron`).

RQ's own cron scheduler enqueues each job on schedule (no sleep loop of ours); the `worker`
process, which listens on the "maintenance" queue, runs it. Run one scheduler process: a second
would enqueue every job twice (harmless here, the cleanup is idempotent, but wasted work).
"""
from django.conf import settings
from rq import cron

from accounts.tasks import inactive_users_cleanup

cron.register(
    inactive_users_cleanup,
    queue_name="maintenance",
    cron=settings.INACTIVE_SWEEP_CRON,
    name="inactive-users-cleanup",
    # The cron scheduler enqueues on a plain rq Queue, which ignores RQ_QUEUES' DEFAULT_TIMEOUT.
    job_timeout=3600,
    result_ttl=24 * 3600,  # the run's report (the job's return value) is kept for a day
)
