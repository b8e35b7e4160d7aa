"""`manage.py archiver`: the Procfile's archiver process (config/outbox/archiver.py)."""
from __future__ import annotations

import signal
import threading

from django.conf import settings
from django.core.management.base import BaseCommand

from config.outbox.archiver import archive_drain, archive_run


class Command(BaseCommand):
    help = "Drain the outbox Stream into PostgreSQL until stopped (idles when DATABASE_URL is unset)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--drain", action="store_true", help="archive what is there, then exit")

    def handle(self, *args, drain: bool = False, **options) -> None:
        stop = threading.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
        if not settings.ARCHIVE_ENABLED:
            # Stay up doing nothing: a Procfile runner stops every process when one exits.
            self.stdout.write("archiver: DATABASE_URL is unset, the archive is off; idling")
            if not drain:
                stop.wait()
            return
        if drain:
            self.stdout.write(f"archiver: archived {archive_drain()} entries")
            return
        self.stdout.write(f"archiver: draining the outbox into PostgreSQL (batch {settings.ARCHIVE_BATCH})")
        archive_run(stop=stop)
