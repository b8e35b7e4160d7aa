"""The Procfile's worker class: RQ's SimpleWorker that outlives Redis outages and recovers fast.

Run it on one queue per process (`rqworker ... scores`, `rqworker ... maintenance`): for a single
queue RQ dequeues with `BLMOVE` into the queue's intermediate list, so a job popped by a worker
that dies (or by a Redis that crashes right after the pop) is still held somewhere RQ looks. For
several queues RQ 2.12 pops with `BLPOP`/`LPOP`, and a popped job that never reached the started
registry is gone for good (rq/rq#1716, #2079).

What this class changes, each through a method RQ lets a worker class override:

- Redis outages. RQ waits out an unreachable Redis only while it blocks for the next job; a
  connection error anywhere else in its loop (startup, recording a job's end, a heartbeat, the
  suspension check, maintenance), or any `TimeoutError` of a frozen Redis, ends the process
  (`found an unhandled exception, quitting`). Under honcho (`make run`) one exiting process stops
  all of them. Here each of those points waits for Redis with backoff (at most
  LONGEST_WAIT_SECONDS apart, so work resumes within seconds of Redis returning) and carries on.
- Abandoned jobs back within a minute. RQ holds a SimpleWorker's job for its timeout + 60 s and
  runs maintenance every 10 minutes, and its maintenance lock lasts 899 s, so a worker killed
  mid-maintenance stops every worker's maintenance of that queue for 15 minutes. Here the lease
  is the job timeout + LEASE_MARGIN_SECONDS, maintenance runs every MAINTENANCE_SECONDS with a
  lock of MAINTENANCE_LOCK_SECONDS, and a job left in the intermediate list (its worker died
  between the pop and the started registry) is failed over to its retry after
  INTERMEDIATE_SECONDS instead of RQ's fixed minute. RQ's own code still finds the job and
  retries it (quizzes.tasks.submission_score_failed makes that retry immediate); the applied
  marker in score_apply.lua makes a run whose score was already applied a no-op.
- The scheduler it forks (`--with-scheduler`, for retries with backoff) also waits out outages
  and dies with the worker, so no orphan keeps the scheduler lock.
- A Redis that comes back empty (FLUSHALL, a restart without persistence): RQ registers a worker
  only at birth, so after the loss it works on unseen (health and `rqstats` count no worker).
  Each maintenance pass writes its registration again when it is gone, and checks the data
  store's epoch (config/redis/epoch.py) so the loss is reported.
- Warm shutdown in a second, not up to a minute: the pub/sub thread is told to stop before the
  UNSUBSCRIBE that wakes it, and its join is bounded (`unsubscribe`).
- A warm shutdown of an idle worker is never lost. RQ stops an idle worker by raising
  StopRequested from its SIGTERM handler, wherever the main thread is; if that is inside a
  finalizer (redis-py's `Pipeline.__del__` and `PubSub.__del__` end in `except Exception: pass`,
  and the interpreter ignores any other exception escaping a `__del__`), the request vanishes and
  the worker goes on serving, restarting the scheduler its handler had just stopped. Seen twice
  under load in tests/faults/test_worker_kill.py (an idle worker still running 15 s after
  SIGTERM, cleaning its registries every second). Here the request is also remembered, and the
  next pass of either of RQ's loops raises it again (`should_run_maintenance_tasks`), so an idle
  worker stops within one dequeue timeout at worst.

A patch of RQ's internals: written against rq 2.12 (PATCHES below; tests/test_library_versions.py
fails first when the installed RQ leaves that range, and pyproject.toml pins it). The overridden
methods (`execute_job`, `heartbeat`, `clean_registries`, `run_maintenance_tasks`, `_start_scheduler`,
`unsubscribe`, `dequeue_job_and_maintain_ttl`, RQScheduler.work, IntermediateQueue.cleanup; and
`serialize` + `worker_registration.register` as `register_birth` uses them) are RQ's private
loop: re-read each against the new RQ before widening the range.
"""
from __future__ import annotations

import ctypes
import logging
import os
import signal
import sys
import threading
import time
from typing import Callable, TypeVar

from rq import worker_registration
from rq.exceptions import StopRequested
from rq.intermediate_queue import IntermediateQueue
from rq.job import JobStatus
from rq.registry import clean_registries
from rq.scheduler import RQScheduler
from rq.utils import get_connection_from_queues, now
from rq.worker import SimpleWorker, WorkerStatus

from config.jobs.routine_logs import quiet_routine_jobs
from config.redis.epoch import EpochWatch
from config.redis.errors import LONGEST_WAIT_SECONDS, REDIS_DOWN, Backoff

# Library -> the versions these subclasses were written and tested against.
PATCHES = {"rq": ">=2.12,<2.13"}
T = TypeVar("T")
# The worker's key lives worker_ttl + 60 s; it blocks for a job worker_ttl - 15 s at a time, and
# that wake-up is when an idle worker heartbeats and runs maintenance.
WORKER_TTL = 25
MAINTENANCE_SECONDS = 10
MAINTENANCE_LOCK_SECONDS = 30
LEASE_MARGIN_SECONDS = 10
INTERMEDIATE_SECONDS = 10

logger = logging.getLogger("rq.worker")


def wait_for_redis(connection, *, stop: Callable[[], bool] = lambda: False, who: str = "") -> None:
    """Block until `connection` answers PING, backing off up to LONGEST_WAIT_SECONDS."""
    backoff = Backoff()
    while not stop():
        try:
            connection.ping()
            return
        except REDIS_DOWN as exc:
            wait = backoff.next()
            logger.warning("%sRedis unreachable (%s); retrying in %.1f s", who, exc, wait)
            time.sleep(wait)


class PromptIntermediateQueue(IntermediateQueue):
    """RQ's intermediate list, whose stranded jobs are failed over after INTERMEDIATE_SECONDS."""

    def cleanup(self, worker, queue) -> None:
        # RQ's IntermediateQueue.cleanup, except that an entry whose job has moved on is only
        # dropped. A worker killed after the started-registry write but before its LREM leaves
        # both entries; once RQ has retried the abandoned job, RQ's cleanup would fail the same
        # job over a second time (running it once more, or marking a finished job failed).
        for job_id in self.get_job_ids():
            if job_id in queue.started_job_registry:
                continue
            job = queue.fetch_job(job_id)
            if job is None or self._moved_on(job, queue):
                self.remove(job_id)
                continue
            if self.set_first_seen(job_id):
                continue
            if self.should_be_cleaned_up(job_id):
                worker.handle_job_failure(job, queue, exc_string="Job was stuck in intermediate queue.")
                self.remove(job_id)

    def _moved_on(self, job, queue) -> bool:
        """Whether the job was queued again, scheduled or ended since this entry was made."""
        if job.get_status(refresh=False) not in (JobStatus.QUEUED, JobStatus.STARTED):
            return True
        return self.connection.lpos(queue.key, job.id) is not None

    def should_be_cleaned_up(self, job_id: str) -> bool:
        # RQ fixes this at one minute (plus a maintenance pass to notice the job first). A job
        # normally leaves the list within milliseconds of its pop, and an early failover of a
        # slow one only runs the job twice, which the applied marker makes harmless.
        first_seen = self.get_first_seen(job_id)
        return first_seen is not None and (now() - first_seen).total_seconds() > INTERMEDIATE_SECONDS


class ResilientScheduler(RQScheduler):
    """RQ's scheduler process, kept alive through Redis outages and ended with its worker."""

    def start(self):
        self._parent_pid = os.getpid()  # the fork copies this into the scheduler process
        return super().start()

    def work(self) -> None:
        # RQ's loop (rq.scheduler.RQScheduler.work) ends the scheduler process at the first
        # connection error, and it comes back only at its worker's next maintenance (rq/rq#2189).
        _die_with_parent(getattr(self, "_parent_pid", os.getppid()))
        self._install_signal_handlers()
        registered = False
        backoff = Backoff()
        while not self._stop_requested:
            try:
                if not registered:
                    self.register_birth()
                    registered = True
                if self.should_reacquire_locks:
                    self.acquire_locks()
                self.heartbeat()
                self.enqueue_scheduled_jobs()
                backoff.reset()
                time.sleep(self.interval)
            except REDIS_DOWN as exc:
                wait = backoff.next()
                self.log.warning("Scheduler: Redis unreachable (%s); retrying in %.1f s", exc, wait)
                time.sleep(wait)
        try:
            self.stop()
        except REDIS_DOWN:
            pass  # the locks expire by themselves


def _die_with_parent(parent_pid: int) -> None:
    """Have this process get SIGTERM when `parent_pid` (its worker) dies, even by SIGKILL."""
    if sys.platform.startswith("linux"):
        PR_SET_PDEATHSIG = 1
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    else:  # no prctl: poll for the parent instead
        def watch() -> None:
            while os.getppid() == parent_pid:
                time.sleep(1.0)
            os.kill(os.getpid(), signal.SIGTERM)

        threading.Thread(target=watch, name="parent-watch", daemon=True).start()
    if os.getppid() != parent_pid:  # the parent died before the line above took effect
        os.kill(os.getpid(), signal.SIGTERM)


class ResilientSimpleWorker(SimpleWorker):
    """SimpleWorker (no fork per job) that outlives Redis outages and retries abandoned jobs fast."""

    # RQ's backoff between failed blocking dequeues grows to 60 s; capped so a worker is back
    # within seconds of Redis returning.
    max_connection_wait_time = LONGEST_WAIT_SECONDS

    def __init__(self, queues, *args, **kwargs) -> None:
        kwargs.setdefault("maintenance_interval", MAINTENANCE_SECONDS)
        # A longer TTL would make an idle worker wake (heartbeat, maintenance) only every
        # worker_ttl - 15 s: 405 s with django-rq's default of 420.
        kwargs["worker_ttl"] = min(kwargs.get("worker_ttl") or WORKER_TTL, WORKER_TTL)
        connection = kwargs.get("connection") or get_connection_from_queues(queues)
        self._epoch = EpochWatch()
        quiet_routine_jobs([getattr(q, "name", q) for q in (queues if isinstance(queues, (list, tuple)) else [queues])])
        while True:  # RQ's constructor talks to Redis (CLIENT SETNAME, CLIENT LIST)
            try:
                super().__init__(queues, *args, **kwargs)
                return
            except REDIS_DOWN:
                wait_for_redis(connection, who="Worker starting: ")

    def get_heartbeat_ttl(self, job) -> int:
        # RQ leases a SimpleWorker's job for its timeout + 60 s. The job cannot outrun its
        # timeout (the death penalty ends it), so the margin only has to cover recording its end.
        if job.timeout == -1:
            return super().get_heartbeat_ttl(job)
        return int(job.timeout or self.queue_class.DEFAULT_TIMEOUT) + LEASE_MARGIN_SECONDS

    def execute_job(self, job, queue) -> None:
        try:
            super().execute_job(job, queue)
        except REDIS_DOWN as exc:
            # The job keeps its started-registry entry (and lease), so maintenance retries it.
            self.log.warning(
                "Worker %s: Redis unreachable while finishing job %s (%s); RQ will retry it",
                self.name, job.id, exc,
            )
            self.wait_for_redis()

    def _shutdown(self) -> None:
        if self.get_state() != WorkerStatus.BUSY:
            self._idle_stop_requested = True  # kept in case RQ's raise below is swallowed
        super()._shutdown()

    @property
    def should_run_maintenance_tasks(self) -> bool:
        # Read at the top of each pass of RQ's work loop and of its dequeue loop, never between a
        # dequeue and the job's start: the one place a lost stop request can be raised again.
        if getattr(self, "_idle_stop_requested", False):
            raise StopRequested()
        return super().should_run_maintenance_tasks

    def register_birth(self) -> None:
        return self._outlasting(lambda: super(ResilientSimpleWorker, self).register_birth())

    def subscribe(self) -> None:
        return self._outlasting(lambda: super(ResilientSimpleWorker, self).subscribe())

    def unsubscribe(self) -> None:
        # RQ's BaseWorker.unsubscribe sends UNSUBSCRIBE and then stops its pub/sub thread with
        # redis-py 8's PubSubWorkerThread.stop(), which joins the thread without a bound. A thread
        # that read the UNSUBSCRIBE reply before the stop flag was set waits up to its sleep_time
        # (RQ passes 60 s) for a new subscription, so a warm shutdown could take a minute: seen
        # under load in tests/faults/test_worker_kill.py (SIGTERM on an idle worker, 15 s and
        # more). Here the flag goes first, so the reply ends the thread's last read, and the
        # wait is bounded (the thread is a daemon: nothing waits for it at exit).
        if not self.pubsub_thread:
            return
        self.log.info("Worker %s: unsubscribing from channel %s", self.name, self.pubsub_channel_name)
        self.pubsub_thread.stop(timeout=0)  # the flag only
        try:
            self.pubsub.unsubscribe()
        except REDIS_DOWN:
            pass  # closing the connection below ends the subscription on the server as well
        self.pubsub_thread.join(timeout=1)
        self.pubsub.close()

    def set_state(self, state, pipeline=None) -> None:
        if pipeline is not None:  # queued on the caller's pipeline: nothing is sent here
            return super().set_state(state, pipeline)
        return self._outlasting(lambda: super(ResilientSimpleWorker, self).set_state(state))

    def heartbeat(self, timeout=None, pipeline=None) -> None:
        if pipeline is not None:
            return super().heartbeat(timeout, pipeline)
        return self._outlasting(lambda: super(ResilientSimpleWorker, self).heartbeat(timeout))

    def check_for_suspension(self, burst: bool) -> None:
        return self._outlasting(lambda: super(ResilientSimpleWorker, self).check_for_suspension(burst))

    def dequeue_job_and_maintain_ttl(self, timeout, max_idle_time=None):
        # RQ retries a ConnectionError here itself, but a TimeoutError (a frozen Redis) ends its
        # work loop ("Redis connection timeout, quitting").
        return self._outlasting(
            lambda: super(ResilientSimpleWorker, self).dequeue_job_and_maintain_ttl(timeout, max_idle_time)
        )

    def run_maintenance_tasks(self) -> None:
        if self._stop_requested:
            # Stopping after a job: RQ's maintenance would start again the scheduler that the
            # SIGTERM handler just stopped, and teardown would SIGTERM the new one before it had
            # installed its own handlers (seen under load: the worker hung 30 s after "stopping
            # on request"). The loop ends right after this call.
            return None
        # An interrupted round leaves last_cleaned_at alone, so the next loop runs it again.
        self._outlasting(lambda: super(ResilientSimpleWorker, self).run_maintenance_tasks())
        self._outlasting(self.register_again_if_lost)
        self._epoch.check()  # remember the data's epoch; notice (and mark) its loss

    def register_again_if_lost(self) -> bool:
        """Write this worker's hash and registry entries again if Redis lost them; return whether it had.

        RQ registers a worker once, at birth; after a FLUSHALL (or a Redis restarted with nothing
        on disk) its heartbeat leaves a hash of `last_heartbeat` alone, and the worker sits in no
        registry: it still works, but health and `rqstats` count no worker.
        """
        if self.connection.hexists(self.key, "birth"):
            return False
        self.log.warning("Worker %s: its registration is gone from Redis (emptied?); registering again", self.name)
        with self.connection.pipeline() as pipe:
            pipe.hset(self.key, mapping=self.serialize())
            worker_registration.register(self, pipe)
            pipe.expire(self.key, self.worker_ttl + 60)
            pipe.execute()
        return True

    def clean_registries(self) -> None:
        # RQ's BaseWorker.clean_registries, with a maintenance lock that outlives a killed
        # worker by MAINTENANCE_LOCK_SECONDS (RQ's lasts 899 s) and PromptIntermediateQueue.
        for queue in self.queues:
            if queue.connection.set(queue.registry_cleaning_key, 1, nx=True, ex=MAINTENANCE_LOCK_SECONDS):
                # Every MAINTENANCE_SECONDS per worker: routine, so DEBUG (RQ logs it at INFO).
                self.log.debug("Worker %s: cleaning registries for queue: %s", self.name, queue.name)
                clean_registries(queue, self._exc_handlers)
                worker_registration.clean_worker_registry(queue)
                PromptIntermediateQueue(queue.key, queue.connection).cleanup(self, queue)
                queue.release_maintenance_lock()
        self.last_cleaned_at = now()

    def _start_scheduler(self, burst=False, logging_level="INFO", date_format=None, log_format=None) -> None:
        # RQ's BaseWorker._start_scheduler builds a plain RQScheduler; this builds ours.
        from rq.defaults import DEFAULT_LOGGING_DATE_FORMAT, DEFAULT_LOGGING_FORMAT

        self.scheduler = ResilientScheduler(
            self.queues,
            connection=self.connection,
            logging_level=logging_level if logging_level is not None else self.log.level,
            date_format=date_format or DEFAULT_LOGGING_DATE_FORMAT,
            log_format=log_format or DEFAULT_LOGGING_FORMAT,
            serializer=self.serializer,
        )
        self._outlasting(self.scheduler.acquire_locks)
        if self.scheduler.acquired_locks:
            if burst:
                try:
                    self.scheduler.register_birth()
                    self.scheduler.enqueue_scheduled_jobs()
                finally:
                    self.scheduler.release_locks()
                    self.scheduler.register_death()
            else:
                self.scheduler.start()

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
        """Block until Redis answers again (or a SIGTERM asks the worker to stop)."""
        wait_for_redis(self.connection, stop=lambda: self._stop_requested, who=f"Worker {self.name}: ")
