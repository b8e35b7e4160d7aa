"""RQ jobs for quizzes: the score job, its failure callback, and the reconciler.

Enqueued by `services.submission_create` (inside the accept script) on settings.SCORE_QUEUE and
run by `manage.py rqworker --worker-class config.jobs.worker.ResilientSimpleWorker` (RQ's SimpleWorker,
no fork per job, kept alive through Redis outages).

Delivery: the score is applied exactly once (the applied marker in score_apply.lua makes a
retried or duplicated job a no-op), and the same script records its events in their Streams.
They are announced live by the run that applied the score, so live announcements are at most
once: a worker lost between the script and the announcement leaves the events in their
Streams, where a socket finds them at its next announcement or on reconnect (replay).
Re-sending from a retry would deliver duplicates, which is worse.
"""
from __future__ import annotations

import logging
import time

import redis.exceptions
from django.conf import settings
from rq.exceptions import AbandonedJobError
from rq.job import Job
from rq.timeouts import JobTimeoutException

from config import metrics
from leaderboard.events import events_announce_recorded
from quizzes import scoring

logger = logging.getLogger(__name__)

# Errors that a later attempt can outlive; anything else fails the submission at once.
TRANSIENT = (
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
    redis.exceptions.BusyLoadingError,
    JobTimeoutException,
    AbandonedJobError,
)
# Of those, the ones that say nothing about the submission: Redis was away, or the worker
# died. They never fail it, however often they recur: with RQ's retries used up the job ends
# in RQ's failed registry, and the reconciler enqueues it again while its submission is queued.
NEVER_FINAL = (
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
    AbandonedJobError,
)


def submission_score(*, submission_id: str, quiz_id: str, user_id: str) -> bool:
    """Grade a submission with its recorded quiz version, apply it once, announce the change.

    Returns whether this run applied the score (kept by RQ as the job's result). A run that
    raises is counted by its outcome in `submission_score_failed`, which RQ calls for each one.
    """
    started = time.perf_counter()
    try:
        applied = scoring.submission_score(submission_id=submission_id, quiz_id=quiz_id, user_id=user_id)
        if applied is None:
            metrics.score_jobs.labels("skipped").inc()
            return False
        events_announce_recorded(applied.user_id, applied.events)  # recorded by the score script
        metrics.score_jobs.labels("applied").inc()
        return True
    finally:
        metrics.score_job_duration.observe(time.perf_counter() - started)


def submission_score_failed(job: Job, connection, exc_type, exc_value, traceback) -> None:
    """RQ failure callback: leave transient errors to RQ's retry; otherwise fail the submission."""
    if issubclass(exc_type, TRANSIENT) and job.retries_left:
        metrics.score_jobs.labels("retried").inc()
        if issubclass(exc_type, AbandonedJobError):
            _retry_at_once(job)
        return
    if issubclass(exc_type, NEVER_FINAL):
        metrics.score_jobs.labels("requeued").inc()
        logger.warning("score job %s: %s with no retries left; the reconciler will enqueue it again",
                       job.id, exc_type.__name__)
        return
    # RQ retries any exception while retries are left; a permanent one must not wait through
    # every backoff first. This callback runs just before RQ decides, on the same Job object.
    job.retries_left = 0
    metrics.score_jobs.labels("failed").inc()
    kwargs = job.kwargs
    scoring.submission_mark_failed(
        submission_id=kwargs["submission_id"], quiz_id=kwargs["quiz_id"], reason=_reason(exc_type, exc_value)
    )


def submissions_reconcile() -> dict:
    """Re-enqueue submissions stuck `queued` whose score job RQ lost; log and count each rescue.

    Run by the scheduler every SCORE_RECONCILE_EVERY_SECONDS (config/cron.py). A safety net
    that needs no RQ internals beyond where RQ keeps a job: whatever lost the job (a crash
    between a pop and the started registry, a registry cleaned up without its retry), the
    submission's own status says it was never scored.
    """
    result = scoring.submissions_rescue(older_than_seconds=settings.SCORE_RESCUE_AFTER_SECONDS)
    for submission_id in result.rescued:
        logger.warning("reconciler: re-enqueued submission %s (queued, job in no queue or registry)",
                       submission_id)
    report = {"checked": result.checked, "held": result.held, "settled": result.settled,
              "rescued": len(result.rescued)}
    # A pass that rescued nothing is routine (every 15 s): DEBUG. Each rescue is its WARNING above.
    logger.log(logging.INFO if result.rescued else logging.DEBUG, "reconciler: %s", report)
    return report


def _retry_at_once(job: Job) -> None:
    """Make RQ's coming retry of an abandoned job an immediate one, not a scheduled one."""
    # A worker died under the job: no error to back off from, and a scheduled retry would wait
    # for a scheduler, whose lock a killed worker's scheduler holds for up to a minute. RQ calls
    # this just before job.retry(), which reads the interval at index (intervals - retries_left)
    # and saves the job; only that attempt's slot is zeroed, so later backoffs are unchanged.
    intervals = list(job.retry_intervals or [])
    index = max(len(intervals) - job.retries_left, 0)  # as Job.get_retry_interval reads it
    if index < len(intervals):
        intervals[index] = 0
        job.retry_intervals = intervals


def _reason(exc_type, exc_value) -> str:
    """A reason fit for the submission's owner; the traceback stays in RQ's failed registry."""
    if issubclass(exc_type, scoring.ScoringError):
        return str(exc_value)
    if issubclass(exc_type, TRANSIENT):  # of those that reach here, only a job over its time limit
        return "Scoring kept running past its time limit; it was given up after retries."
    logger.error("score job failed: %s: %s", exc_type.__name__, exc_value)
    return "Scoring failed on an internal error."
