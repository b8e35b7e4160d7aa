"""Routine lines of RQ's loops logged at DEBUG: an idle system writes nothing at INFO.

RQ logs every job's start, end and result lifespan at INFO (rq/worker/base.py) and the cron
scheduler every enqueue (rq/cron.py's CronJob.enqueue, on the module logger `rq.cron`). For
the `maintenance` queue those are the reconciler every 15 s and the sweep hourly: four lines a
quarter minute of a system doing nothing. Their own code logs what matters (a rescue, a sweep's
erasures) at WARNING, and RQ logs a failure at ERROR, so only these routine lines are demoted.
The formats are RQ 2.12's (config.jobs.worker.PATCHES pins the range).
"""
from __future__ import annotations

import logging
from typing import Callable

# Queues whose jobs are periodic housekeeping: their workers log each job's lines at DEBUG.
ROUTINE_QUEUES = frozenset({"maintenance"})

# rq/worker/base.py's per-job INFO formats (dequeue, Job OK, result lifespan, completion).
ROUTINE_JOB_FORMATS = frozenset({
    "Worker %s: %s: %s (%s)",
    "Worker %s: %s: %s",
    "Worker %s: job %s result is kept for %s seconds",
    "Worker %s: job %s result discarded immediately",
    "Successfully completed %s job in %ss on worker %s",
    "Successfully completed job %s in %ss on worker %s",
})


class Demote(logging.Filter):
    """Turn INFO records that `routine` picks into DEBUG ones, dropped unless their logger shows DEBUG."""

    def __init__(self, routine: Callable[[logging.LogRecord], bool]) -> None:
        super().__init__()
        self.routine = routine

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno != logging.INFO or not self.routine(record):
            return True
        record.levelno, record.levelname = logging.DEBUG, "DEBUG"
        return logging.getLogger(record.name).isEnabledFor(logging.DEBUG)


def routine_job_line(record: logging.LogRecord) -> bool:
    return isinstance(record.msg, str) and record.msg in ROUTINE_JOB_FORMATS


def routine_enqueue_line(record: logging.LogRecord) -> bool:
    return isinstance(record.msg, str) and record.msg.startswith("Enqueued job ")


def quiet_routine_jobs(queue_names: list[str]) -> None:
    """Demote RQ's per-job lines in this process when it works only routine queues."""
    worker_log = logging.getLogger("rq.worker")
    if set(queue_names) <= ROUTINE_QUEUES and not any(isinstance(f, Demote) for f in worker_log.filters):
        worker_log.addFilter(Demote(routine_job_line))


def quiet_cron_enqueues() -> None:
    """Demote the cron scheduler's line for each enqueue of a periodic job."""
    cron_log = logging.getLogger("rq.cron")
    if not any(isinstance(f, Demote) for f in cron_log.filters):
        cron_log.addFilter(Demote(routine_enqueue_line))
