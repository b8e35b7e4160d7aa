"""The Procfile's worker class: RQ's SimpleWorker, kept alive through a Redis outage.

RQ waits out an unreachable Redis only while it blocks for the next job. Anywhere else in its
work loop (recording a job's end, the heartbeat after a job, the suspension check, registry
maintenance) a connection error ends the worker process (`found an unhandled exception,
quitting`), and it stays down until a process manager restarts it; under honcho (`make run`)
one exiting process stops all of them. This class waits for Redis at those points instead,
with the same kind of backoff, and carries on.

A job whose end could not be recorded keeps its entry (and lease) in RQ's started registry,
so RQ's maintenance later treats it as abandoned and retries it (quizzes.tasks.TRANSIENT);
score_apply.lua's applied marker makes that run a no-op when the score was already applied.
"""
from __future__ import annotations

import time
from typing import Callable, TypeVar

import redis.exceptions
from rq.worker import SimpleWorker

T = TypeVar("T")
REDIS_DOWN = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)
FIRST_WAIT_SECONDS = 1.0
LONGEST_WAIT_SECONDS = 30.0


class ResilientSimpleWorker(SimpleWorker):
    """SimpleWorker (no fork per job) whose work loop outlives a Redis outage."""

    def execute_job(self, job, queue) -> None:
        try:
            super().execute_job(job, queue)
        except REDIS_DOWN as exc:
            self.log.warning(
                "Worker %s: Redis unreachable while finishing job %s (%s); RQ will retry it",
                self.name, job.id, exc,
            )
            self.wait_for_redis()

    def heartbeat(self, timeout=None, pipeline=None) -> None:
        if pipeline is not None:  # queued on the caller's pipeline: nothing is sent here
            return super().heartbeat(timeout, pipeline)
        return self._outlasting(lambda: super(ResilientSimpleWorker, self).heartbeat(timeout))

    def check_for_suspension(self, burst: bool) -> None:
        return self._outlasting(lambda: super(ResilientSimpleWorker, self).check_for_suspension(burst))

    def run_maintenance_tasks(self) -> None:
        # An interrupted round leaves last_cleaned_at alone, so the next loop runs it again.
        return self._outlasting(lambda: super(ResilientSimpleWorker, self).run_maintenance_tasks())

    def _outlasting(self, call: Callable[[], T]) -> T:
        """Run `call`; while Redis is unreachable, wait for it and run it again."""
        while True:
            try:
                return call()
            except REDIS_DOWN as exc:
                if self._stop_requested:
                    raise
                self.log.warning("Worker %s: Redis unreachable (%s); waiting for it", self.name, exc)
                self.wait_for_redis()

    def wait_for_redis(self) -> None:
        """Block until Redis answers again, backing off like RQ's own reconnect loop."""
        wait = FIRST_WAIT_SECONDS
        while not self._stop_requested:  # SIGTERM meanwhile: stop instead of waiting on
            try:
                self.connection.ping()
                return
            except REDIS_DOWN:
                time.sleep(wait)
                wait = min(wait * 2, LONGEST_WAIT_SECONDS)
