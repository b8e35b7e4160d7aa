"""The data store's epoch: how the service notices a Redis that came back empty.

`qb:epoch` (a JSON string, no TTL) is written at the first start with a new id. A FLUSHALL, or a
restart of a Redis that kept nothing on disk, takes it with everything else; its absence means a
loss only when the service has run before, which must be known from somewhere the loss did not
reach:

- PostgreSQL (DATABASE_URL set): an app registers a durable record (`epoch_durable_register`;
  quizzes keeps one row), written whenever an epoch is made. It survives anything Redis does.
- Without it, memory: every process remembers the epoch it saw (the web processes at their first
  check, the long-running ones at start and every CHECK_SECONDS after). The first to find the
  key gone writes it back as `state: "lost"`, so processes started later see the loss too. The
  limit: when nothing that remembers is running (the whole stack restarted after the loss, or
  Redis lost its data while the stack was down), the empty store looks like a first start.

Once lost, the marker stays lost until an operator acts: `manage.py rebuild_redis` (PostgreSQL)
writes the recorded epoch back with `by: "rebuild_redis"`; `manage.py data_reset --confirm`
writes a new one with `by: "data_reset"`. A process that remembers an older id accepts a new
epoch only from those two; a new `first_start` epoch over a remembered one is itself a loss
(some process started after the loss and before anyone noticed).
"""
from __future__ import annotations

import json
import logging
import time
import uuid
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from typing import Callable

import redis

from config.http.exceptions import ServiceUnavailable
from config.http.times import iso
from config.redis.clients import redis_client
from config.redis.errors import REDIS_DOWN
from config.redis.keys import epoch as epoch_key

logger = logging.getLogger(__name__)

OK, LOST, UNKNOWN = "ok", "lost", "unknown"
# Writers whose new epoch acknowledges a loss (a process that remembers another id accepts it).
ACKNOWLEDGING = frozenset({"rebuild_redis", "data_reset"})
CHECK_SECONDS = 5.0


@dataclass(frozen=True)
class Epoch:
    id: str
    created_at: str
    by: str
    state: str = OK
    lost_at: str = ""


@dataclass(frozen=True)
class Durable:
    """Where "the service has run before" is kept outside Redis: read() -> epoch id or None."""

    read: Callable[[], str | None]
    write: Callable[[Epoch], None]
    enabled: Callable[[], bool]


_durable: Durable | None = None
_seen: str | None = None  # the epoch id this process has seen
_reported = False


def epoch_durable_register(durable: Durable) -> None:
    """Keep the epoch in `durable` too (called from an AppConfig.ready)."""
    global _durable
    _durable = durable


def epoch_forget() -> None:
    """Forget the epoch this process saw (tests: a new process)."""
    global _seen, _reported
    _seen, _reported = None, False


_UNREAD = object()


def epoch_read(*, client: redis.Redis | None = None, raw: object = _UNREAD) -> Epoch | None:
    """The marker as Redis holds it (or as `raw`, a GET of it already made), or None."""
    if raw is _UNREAD:
        raw = (client or redis_client()).get(epoch_key())
    if raw is None:
        return None
    try:
        return Epoch(**json.loads(raw))
    except (TypeError, ValueError):
        return Epoch(id="", created_at="", by="unreadable", state=LOST)


def epoch_write(*, by: str, epoch_id: str | None = None, client: redis.Redis | None = None) -> Epoch:
    """Write a new (or the given, restored) epoch over whatever is there; record it durably."""
    epoch = Epoch(id=epoch_id or uuid.uuid4().hex, created_at=iso(datetime.now(timezone.utc)), by=by)
    (client or redis_client()).set(epoch_key(), json.dumps(asdict(epoch)))
    if _durable_on():
        _durable.write(epoch)
    _ok(epoch.id)
    logger.info("data store epoch %s written by %s", epoch.id, by)
    return epoch


def epoch_check(*, client: redis.Redis | None = None, raw: object = _UNREAD) -> str:
    """Return "ok", "lost" or "unknown" (PostgreSQL unreachable with no marker); write a first or lost marker.

    `raw`: the marker as a GET already read it (health reads it in its pipeline).
    """
    client = client or redis_client()
    for _ in range(3):  # another process may write the marker between the read and the write
        current, raw = epoch_read(client=client, raw=raw), _UNREAD
        if current is not None and current.state == LOST:
            return _lost(current.id)
        if current is not None and (current.id == _seen or current.by in ACKNOWLEDGING and _seen is not None):
            return _ok(current.id)
        try:
            recorded = _durable.read() if _durable_on() else None
        except Exception as exc:  # noqa: BLE001 - PostgreSQL down: nothing is decided, nothing written
            logger.warning("epoch: the durable record is unreadable (%s)", type(exc).__name__)
            return OK if current is not None else UNKNOWN
        before = _seen or recorded
        if current is not None:
            if before is None or current.id == before or current.by in ACKNOWLEDGING:
                if _durable_on() and recorded != current.id:
                    _durable.write(current)
                return _ok(current.id)
            # A first-start epoch over one this service had: made after a loss nobody had seen.
            _mark_lost(client, before, replace=True)
            return _lost(before)
        if before is None:
            epoch = Epoch(id=uuid.uuid4().hex, created_at=iso(datetime.now(timezone.utc)), by="first_start")
            if client.set(epoch_key(), json.dumps(asdict(epoch)), nx=True):
                if _durable_on():
                    _durable.write(epoch)
                return _ok(epoch.id)
            continue
        if _mark_lost(client, before, replace=False):
            return _lost(before)
    return _lost(_seen or "")


class DataLost(ServiceUnavailable):
    """A write that needs the records Redis lost: refused until they are restored or the loss acknowledged."""

    default_message = (
        "The service lost its data and is being restored; try again later."
    )

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message, details={"data": LOST})


def epoch_require(*, client: redis.Redis | None = None) -> None:
    """Raise DataLost (503) while the data store is known to have lost its data."""
    if epoch_check(client=client) == LOST:
        raise DataLost()


def epoch_recorded() -> str | None:
    """The epoch id the durable record holds (None without PostgreSQL, or before any)."""
    return _durable.read() if _durable_on() else None


def _mark_lost(client: redis.Redis, epoch_id: str, *, replace: bool) -> bool:
    now = iso(datetime.now(timezone.utc))
    marker = Epoch(id=epoch_id, created_at="", by="loss", state=LOST, lost_at=now)
    return bool(client.set(epoch_key(), json.dumps(asdict(marker)), nx=not replace))


def _ok(epoch_id: str) -> str:
    global _seen, _reported
    _seen, _reported = epoch_id, False
    return OK


def _lost(epoch_id: str) -> str:
    global _reported
    if not _reported:
        _reported = True
        logger.error(
            "the data store lost its data (epoch %s is gone): restore it with `manage.py rebuild_redis` "
            "(PostgreSQL) or acknowledge it with `manage.py data_reset --confirm`", epoch_id,
        )
    return LOST


def _durable_on() -> bool:
    return _durable is not None and _durable.enabled()


class EpochWatch:
    """A long-running loop's check of the epoch, at most every `every` seconds; Redis outages are the loop's."""

    def __init__(self, every: float = CHECK_SECONDS) -> None:
        self.every = every
        self._at = float("-inf")

    def check(self) -> None:
        if time.monotonic() - self._at < self.every:
            return
        self._at = time.monotonic()
        try:
            epoch_check()
        except REDIS_DOWN:
            pass  # the loop finds the outage itself
        except Exception:  # noqa: BLE001 - a check must never end the loop that runs it
            logger.exception("epoch check failed")
