"""Periodic jobs, run by the Procfile's `scheduler` process (`manage.py cron config.cron`).

RQ's own cron scheduler (config.jobs.cron_scheduler.ResilientCronScheduler, which only adds waiting
out Redis outages) enqueues each job on schedule; the `maintenance` worker runs it. Run one
scheduler process: a second would enqueue every job twice (harmless here, both jobs are
idempotent, but wasted work).
"""
from django.conf import settings
from rq import cron

from accounts.tasks import erasures_resume, inactive_users_cleanup
from leaderboard.tasks import period_boards_retain
from quizzes.tasks import submissions_reconcile

cron.register(
    inactive_users_cleanup,
    queue_name="maintenance",
    cron=settings.INACTIVE_SWEEP_CRON,
    name="inactive-users-cleanup",
    # The cron scheduler enqueues on a plain rq Queue, which ignores RQ_QUEUES' DEFAULT_TIMEOUT.
    job_timeout=3600,
    result_ttl=24 * 3600,  # the run's report (the job's return value) is kept for a day
)

cron.register(
    submissions_reconcile,
    queue_name="maintenance",
    interval=settings.SCORE_RECONCILE_EVERY_SECONDS,
    name="submissions-reconcile",
    job_timeout=60,
    result_ttl=600,
    # While the maintenance worker is away the runs would pile up; a run that waited this long
    # is dropped, the next one does the same work.
    ttl=4 * settings.SCORE_RECONCILE_EVERY_SECONDS,
)

cron.register(
    erasures_resume,
    queue_name="maintenance",
    interval=settings.ERASURE_RESUME_AFTER_SECONDS,
    name="erasures-resume",
    job_timeout=600,
    result_ttl=600,
    ttl=4 * settings.ERASURE_RESUME_AFTER_SECONDS,
)

cron.register(
    period_boards_retain,
    queue_name="maintenance",
    cron=settings.PERIOD_RETAIN_CRON,
    name="period-boards-retain",
    job_timeout=60,
    result_ttl=600,
)
