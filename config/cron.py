"""Periodic jobs, run by the Procfile's `scheduler` process (`manage.py rqcron config.cron`).

RQ's own cron scheduler enqueues each job on schedule; the `worker` process runs it.
"""
from rq import cron

from accounts.tasks import session_indexes_tidy

cron.register(session_indexes_tidy, queue_name="maintenance", cron="17 * * * *", name="session-indexes-tidy")
