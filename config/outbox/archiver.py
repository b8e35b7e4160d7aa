"""The archiver: drains the outbox Stream into PostgreSQL, one transaction per batch.

It is its own Procfile process (`archiver`), not an RQ job: a blocking XREADGROUP picks up
entries as they are appended, with no scheduler tick and no queue to wait behind, and a
consumer group already gives what a job would add (redelivery of what a dead reader had
read). Exactly once in effect: every write is an upsert by id that a repeat leaves unchanged
(ON CONFLICT DO NOTHING for records, GREATEST for counters), and entries are acknowledged
only after the transaction commits, so a kill at any point re-applies at most a batch that
changes nothing the second time. PostgreSQL or Redis down: the batch waits, retried with
backoff, and the Stream keeps the backlog.
"""
from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Callable

import redis.exceptions
from django.conf import settings
from django.db import DatabaseError, InterfaceError, connection, transaction

from config.outbox.reader import OutboxReader, group_lost, outbox_trim
from config.redis.epoch import EpochWatch
from config.redis.errors import REDIS_DOWN, Backoff

logger = logging.getLogger(__name__)

GROUP = "archive"
TRIM_EVERY_SECONDS = 1.0


@dataclass(frozen=True)
class Handler:
    """How one entry type reaches PostgreSQL, and what Redis may drop once it is there."""

    write: Callable  # (cursor, [data, ...]) -> None, inside the batch's transaction
    after_commit: Callable | None = None  # (pipeline, [data, ...]) -> None, in the XACK's MULTI


# Entry type -> how it reaches PostgreSQL, registered by each app's AppConfig.ready.
_HANDLERS: dict[str, Handler] = {}


def archive_handlers_register(table: dict[str, Handler]) -> None:
    """Archive the entry types of `table` with its handlers (called from an AppConfig.ready)."""
    _HANDLERS.update(table)


def handlers() -> dict[str, Handler]:
    """Every app's handlers by entry type."""
    return dict(_HANDLERS)


def archive_batch(reader: OutboxReader, *, count: int, block_ms: int | None, table: dict[str, Handler]) -> int:
    """Archive one batch: upsert in one transaction, then drop and XACK in one MULTI; return its size."""
    entries = reader.read(count=count, block_ms=block_ms)
    if not entries:
        return 0
    known = _runs(entries, table)
    with transaction.atomic():
        connection.ensure_connection()
        # The driver's own cursor: server-side binding. Django's binds on the client, and
        # quoting the batch's column arrays there took most of the archiver's time.
        with connection.connection.cursor() as cursor:
            for handler, rows in known:
                handler.write(cursor, rows)
    pipe = reader.client.pipeline(transaction=True)
    for handler, rows in known:
        if handler.after_commit:
            handler.after_commit(pipe, rows)
    reader.ack([entry.id for entry in entries], pipe)  # types of other readers are theirs to act on
    pipe.execute()
    return len(entries)


def _runs(entries: list, table: dict[str, Handler]) -> list[tuple[Handler, list[dict]]]:
    """The batch as runs of consecutive entries of one known type, in stream order.

    Stream order is what makes a batch mean what its entries meant one by one: a submission's
    `submission.queued` comes before its `submission.scored`, and a user's late scored entry
    before the `user.erased` that must delete it. Each run is still one set-based write.
    """
    runs: list[tuple[Handler, list[dict]]] = []
    last = None
    for entry in entries:
        handler = table.get(entry.type)
        if handler is None:
            continue  # another reader's type
        if last != entry.type:
            runs.append((handler, []))
            last = entry.type
        runs[-1][1].append(entry.data)
    return runs


def archive_drain(*, count: int | None = None) -> int:
    """Archive until the outbox has nothing new for this group (tests, rebuilds); return how many."""
    reader = OutboxReader(group=GROUP, consumer=settings.ARCHIVE_CONSUMER)
    reader.ensure_group()
    table, total = handlers(), 0
    while done := archive_batch(reader, count=count or settings.ARCHIVE_BATCH, block_ms=None, table=table):
        total += done
    outbox_trim()
    return total


def archive_run(*, stop: threading.Event, block_ms: int = 500) -> None:
    """Archive until `stop` is set, waiting out PostgreSQL and Redis outages and a Redis emptied under it.

    `block_ms` stays below REDIS_SOCKET_TIMEOUT (1 s): at 1000 ms an idle read ended in a client
    timeout, logged as an outage and backed off up to 4 s before the next batch.
    """
    reader = OutboxReader(group=GROUP, consumer=settings.ARCHIVE_CONSUMER)
    table, backoff, trimmed, ready = handlers(), Backoff(), 0.0, False
    epoch = EpochWatch()
    while not stop.is_set():
        try:
            epoch.check()
            if not ready:
                reader.ensure_group()
                ready = True
            archive_batch(reader, count=settings.ARCHIVE_BATCH, block_ms=block_ms, table=table)
            if time.monotonic() - trimmed >= TRIM_EVERY_SECONDS:
                outbox_trim(client=reader.client)
                trimmed = time.monotonic()
            backoff.reset()
        except (DatabaseError, InterfaceError) as exc:
            _wait(stop, backoff, "PostgreSQL", exc)
            connection.close()  # a broken connection is not reused; the next batch reconnects
        except REDIS_DOWN as exc:
            _wait(stop, backoff, "Redis", exc)
        except redis.exceptions.ResponseError as exc:
            if not group_lost(exc):
                raise
            # The Stream or the group went with the data (FLUSHALL, a Redis that kept nothing):
            # create them again and go on; what the Stream held is gone with the rest.
            logger.error("archiver: the outbox group %s is gone (%s); creating it again", GROUP, exc)
            ready = False


def _wait(stop: threading.Event, backoff: Backoff, what: str, exc: Exception) -> None:
    wait = backoff.next()
    logger.warning("archiver: %s unavailable (%s); retrying in %.1f s", what, type(exc).__name__, wait)
    stop.wait(wait)

