"""`manage.py cleanup_inactive [--days N] [--dry-run]`: run the inactive-user cleanup once.

The same code the hourly scheduled job runs (accounts.lifecycle.inactive_users_cleanup).
"""
from __future__ import annotations

import math
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from accounts import lifecycle


def _days(raw: str) -> float:
    try:
        days = float(raw)
    except ValueError as exc:
        raise CommandError(f"--days must be a number, got {raw!r}") from exc
    if not math.isfinite(days) or days <= 0:
        raise CommandError("--days must be a positive number of days (fractions allowed)")
    return days


class Command(BaseCommand):
    help = (
        "Remove users with no authenticated activity for N days from every leaderboard and end "
        "their sessions (profiles stay), then drop dead session-index entries."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--days", type=_days, default=None,
            help=f"inactivity threshold in days, fractions allowed (default {settings.INACTIVE_AFTER_DAYS:g})",
        )
        parser.add_argument("--dry-run", action="store_true", help="report what would be removed; change nothing")
        parser.add_argument(
            "--batch", type=int, default=None,
            help=f"ids per batch and SCAN COUNT (default {settings.INACTIVE_SWEEP_BATCH})",
        )

    def handle(self, *args, days: float | None, dry_run: bool, batch: int | None, **options):
        if batch is not None and batch < 1:
            raise CommandError("--batch must be at least 1")
        started = time.monotonic()
        if dry_run:
            self.stdout.write("Dry run: nothing will be changed.")
        report = lifecycle.inactive_users_cleanup(
            days=days, dry_run=dry_run, batch=batch, progress=self.stdout.write
        )
        elapsed = time.monotonic() - started
        self.stdout.write(self.style.SUCCESS(f"Done in {elapsed:.2f}s: {report.summary()}."))
