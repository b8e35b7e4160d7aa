"""Which RQ workers are alive: registered on a queue, with a recent heartbeat."""
from __future__ import annotations

import time

from rq.utils import utcparse

from config.jobs import keys as rq_keys

# A worker heartbeats at every wake-up of its blocking dequeue (10 s with config.jobs.worker's
# WORKER_TTL) and at the start and end of each job (a score job times out at 10 s); one that has
# been silent this long is dead, even while its key (kept worker_ttl + 60 s) still exists.
LIVE_WORKER_SECONDS = 45


def live_workers(client, queue_name: str, *, now: float | None = None) -> int:
    """Workers registered on `queue_name` whose last heartbeat is recent."""
    now = time.time() if now is None else now
    worker_keys = sorted(client.smembers(rq_keys.rq_workers(queue_name)))
    if not worker_keys:
        return 0
    with client.pipeline(transaction=False) as pipe:
        for key in worker_keys:
            pipe.hmget(key, "last_heartbeat", "death")
        beats = pipe.execute()
    return sum(
        1 for beat, death in beats
        if beat and not death and now - utcparse(_text(beat)).timestamp() <= LIVE_WORKER_SECONDS
    )


def _text(value) -> str:
    return value.decode() if isinstance(value, bytes) else value  # RQ's own client answers bytes
