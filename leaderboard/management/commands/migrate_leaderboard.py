"""`manage.py migrate_leaderboard`: convert boards written with the legacy encoding; idempotent.

Run it once when upgrading, before starting the new web and worker processes.
"""
from __future__ import annotations

import time

from django.core.management.base import BaseCommand

from leaderboard.services import boards_migrate


class Command(BaseCommand):
    help = (
        "Convert leaderboard entries of the legacy encoding (points * 2^31 + time) to exact points "
        "with member-encoded tie order, keeping their order. Safe to run again."
    )

    def handle(self, *args, **options):
        started = time.monotonic()
        report = boards_migrate(progress=self.stdout.write)
        for board, count in report.boards.items():
            self.stdout.write(f"{board}: {count} entries converted")
        self.stdout.write(f"remembered entries of evicted users: {report.evicted} converted")
        self.stdout.write(f"Done in {time.monotonic() - started:.2f}s.")
