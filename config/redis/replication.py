"""Acknowledged writes: WAIT for `REDIS_MIN_REPLICAS_ACK` replicas on the connection that wrote.

Redis replicates asynchronously, so a write the primary acknowledged can vanish in a failover.
`WAIT n timeout` blocks until n replicas have every earlier write of *this* connection; on any
other connection it would wait for nothing. So the write and its WAIT go out as one pipeline
(not a transaction: WAIT inside MULTI does not block), which borrows one pooled connection for
both, and costs one round trip.
"""
from __future__ import annotations

from typing import Callable

import redis
import redis.exceptions
from django.conf import settings


class ReplicasNotAcknowledged(redis.exceptions.ConnectionError):
    """Fewer replicas than REDIS_MIN_REPLICAS_ACK confirmed a write in time.

    A ConnectionError, so it is what a lost Redis is everywhere: a 503 for the web (the
    write may exist; a retry with the same Idempotency-Key is safe), a transient error for jobs.
    `replies` holds what the write's commands answered.
    """

    def __init__(self, message: str, replies: list) -> None:
        super().__init__(message)
        self.replies = replies


def replicas_required() -> int:
    return settings.REDIS_MIN_REPLICAS_ACK


def acknowledged(client: redis.Redis, write: Callable[[redis.client.Pipeline], None], *, required: int | None = None) -> list:
    """Run the commands `write` queues on a pipeline, then WAIT for the replicas; return their replies.

    With no replicas required this is a plain pipeline (no WAIT).
    """
    required = replicas_required() if required is None else required
    pipe = client.pipeline(transaction=False)
    write(pipe)
    if required <= 0:
        return pipe.execute()
    pipe.execute_command("WAIT", required, settings.REDIS_REPLICAS_ACK_TIMEOUT_MS)
    *replies, acked = pipe.execute()
    if int(acked) < required:
        raise ReplicasNotAcknowledged(
            f"{acked} of {required} replicas acknowledged the write within "
            f"{settings.REDIS_REPLICAS_ACK_TIMEOUT_MS} ms",
            replies,
        )
    return replies
