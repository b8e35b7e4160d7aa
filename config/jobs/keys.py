"""RQ's own keys, named through RQ's classes so a Lua script can write a job exactly as
`Queue.enqueue_job` would (`rq:job:{id}` hash, `rq:queue:{name}` list, `rq:queues` set), and the
reconciler, health and the queue statistics can look for a job where RQ keeps it: the queue's
intermediate list and its started, scheduled, failed, finished and deferred registries.
"""
from __future__ import annotations

from rq.intermediate_queue import IntermediateQueue
from rq.job import Job
from rq.queue import Queue
from rq.registry import (
    DeferredJobRegistry, FailedJobRegistry, FinishedJobRegistry, ScheduledJobRegistry, StartedJobRegistry,
)
from rq.worker_registration import WORKERS_BY_QUEUE_KEY


def rq_job(job_id: str) -> str:
    return Job.key_for(job_id)


def rq_queue(name: str) -> str:
    return f"{Queue.redis_queue_namespace_prefix}{name}"


def rq_queues() -> str:
    return Queue.redis_queues_keys


def rq_intermediate(name: str) -> str:
    return IntermediateQueue.get_intermediate_queue_key(rq_queue(name))


def rq_started(name: str) -> str:
    return StartedJobRegistry.key_template.format(name)


def rq_scheduled(name: str) -> str:
    return ScheduledJobRegistry.key_template.format(name)


def rq_failed(name: str) -> str:
    return FailedJobRegistry.key_template.format(name)


def rq_workers(name: str) -> str:
    """The set of worker keys registered on queue `name`."""
    return WORKERS_BY_QUEUE_KEY % name


def rq_finished(name: str) -> str:
    return FinishedJobRegistry.key_template.format(name)


def rq_deferred(name: str) -> str:
    return DeferredJobRegistry.key_template.format(name)
