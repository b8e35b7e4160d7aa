"""The Procfile's archiver with a test hook, run as a real process: `python -m tests.archive.hooked_archiver HOOK MARKER`.

It runs `config.outbox.archiver.archive_run` as `manage.py archiver` does, except that its second
batch stops for good at HOOK and creates the file MARKER, so a test can kill -9 it there:
"in_transaction" (after the batch's first upserts, before COMMIT) or "after_commit" (the
batch committed, its entries not yet acknowledged).
"""
from __future__ import annotations

import sys
import threading
import time
from pathlib import Path

import django


def _stall(marker: Path) -> None:
    marker.touch()
    while True:
        time.sleep(1)


def main(hook: str, marker: Path) -> None:
    django.setup()
    from config.outbox import archiver
    from config.outbox.reader import OutboxReader

    batches = {"n": 0}
    real_batch, real_ack = archiver.archive_batch, OutboxReader.ack

    def counting_batch(*args, **kwargs):
        batches["n"] += 1
        return real_batch(*args, **kwargs)

    def ack(self, ids, pipe=None):
        if hook == "after_commit" and batches["n"] == 2:
            _stall(marker)
        return real_ack(self, ids, pipe)

    real_handlers = archiver.handlers

    def handlers():
        table = real_handlers()
        for kind, handler in table.items():
            def write(cursor, rows, _write=handler.write):
                _write(cursor, rows)
                if hook == "in_transaction" and batches["n"] == 2:
                    _stall(marker)
            table[kind] = archiver.Handler(write=write, after_commit=handler.after_commit)
        return table

    archiver.archive_batch, archiver.handlers, OutboxReader.ack = counting_batch, handlers, ack
    archiver.archive_run(stop=threading.Event())


if __name__ == "__main__":
    main(sys.argv[1], Path(sys.argv[2]))
