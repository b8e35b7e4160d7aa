"""The one definition of "Redis is down", and the one backoff every long-running loop waits with.

The worker, its scheduler, the cron scheduler, the outbox readers (relay) and the archiver all
outlive Redis outages the same way: catch REDIS_DOWN, wait a Backoff step, try again.
"""
from __future__ import annotations

import sys
import threading
import time

import redis.exceptions

# Errors that mean "Redis is unreachable or stalled", never "the command was wrong".
REDIS_DOWN = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)
# Short enough that work resumes within seconds of Redis returning, long enough not to spin.
FIRST_WAIT_SECONDS = 0.2
LONGEST_WAIT_SECONDS = 4.0


class Backoff:
    """Waits that double from `first` to `longest` seconds; `reset()` after a success."""

    def __init__(self, first: float = FIRST_WAIT_SECONDS, longest: float = LONGEST_WAIT_SECONDS) -> None:
        self.first, self.longest = first, longest
        self._next = first

    def next(self) -> float:
        """Return the next wait and double the one after it, up to `longest`."""
        if isinstance(sys.exc_info()[1], REDIS_DOWN):  # every loop asks from its `except` block
            from config import metrics  # not at import: devenv uses REDIS_DOWN before the settings exist

            metrics.redis_error()
        wait = self._next
        self._next = min(wait * 2, self.longest)
        return wait

    def reset(self) -> None:
        self._next = self.first

    def sleep(self, stop: threading.Event | None = None) -> float:
        """Wait the next step (cut short when `stop` is set); return how long it was."""
        wait = self.next()
        if stop is None:
            time.sleep(wait)
        else:
            stop.wait(wait)
        return wait
