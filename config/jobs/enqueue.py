"""RQ job hashes built with RQ's own API, for a Lua script that enqueues in the same atomic step.

A script can write a job exactly as `Queue.enqueue_job` would (the hash, `RPUSH` on the queue,
`SADD` on `rq:queues`) only if it is handed the hash's fields. Building a job with RQ's API
(`Queue.create_job`, `Job.to_dict`) cost ~6% of accepting a submission, and only the kwargs,
their description and the timestamps change from one job to the next, so the rest is built once
per job kind and settings.
"""
from __future__ import annotations

import copy
import functools

from rq.job import Callback, Job, Retry
from rq.queue import Queue
from rq.utils import now as rq_now

from config.redis.clients import redis_client

# Fields of the job hash that differ from one job to the next; the rest is built once.
_VARYING = ("created_at", "data", "description", "enqueued_at")


@functools.cache
def _template(func: str, kwarg_names: tuple[str, ...], queue_name: str, timeout: int | None,
              intervals: tuple[int, ...], on_failure: str | None) -> tuple[Job, list]:
    """Build one job with RQ's own API and its constant hash fields, once per kind and settings."""
    queue = Queue(queue_name, connection=redis_client(), default_timeout=timeout)
    job = queue.create_job(
        func,
        kwargs=dict.fromkeys(kwarg_names, ""),
        # A retry goes to the front of the queue: its work has waited longest.
        retry=Retry(max=len(intervals), interval=list(intervals), enqueue_at_front=True) if intervals else None,
        on_failure=Callback(on_failure) if on_failure else None,
    )
    constant: list = []
    for name, value in job.to_dict().items():
        if value is not None and name not in _VARYING:
            constant += [name, value]
    return job, constant


def job_fields(*, func: str, kwargs: dict[str, str], queue_name: str, timeout: int | None,
               retry_intervals: tuple[int, ...] = (), on_failure: str | None = None) -> list:
    """Return the hash fields of a job calling `func(**kwargs)`, flattened for HSET as RQ's scripts do.

    `func` and `on_failure` are dotted paths, as RQ stores them, so the enqueuing process need
    not import the worker's code.
    """
    template, fields = _template(func, tuple(kwargs), queue_name, timeout, retry_intervals, on_failure)
    job = copy.copy(template)  # a private copy: the template is shared by the server's threads
    job.kwargs = dict(kwargs)
    job.description = job.get_call_string()
    job.created_at = job.enqueued_at = rq_now()  # what Queue.enqueue_job stamps before saving
    varying = job.to_dict()
    return fields + [item for name in _VARYING for item in (name, varying[name])]
