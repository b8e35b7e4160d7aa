"""`manage.py rebuild_redis [--force]`: restore Redis from PostgreSQL after a total loss (quizzes/rebuild.py)."""
from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from quizzes.rebuild import rebuild_redis


class Command(BaseCommand):
    help = (
        "Restore users (profile, name index, password hash), quizzes with their current answer keys, "
        "best scores, totals and the all-time, daily and weekly boards from PostgreSQL. Idempotent."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--force", action="store_true", help="overwrite what Redis holds, even if newer")

    def handle(self, *args, force: bool = False, **options) -> None:
        if not settings.ARCHIVE_ENABLED:
            raise CommandError("DATABASE_URL is unset: there is no PostgreSQL record to rebuild from")
        report = rebuild_redis(force=force, progress=self.stdout.write)
        self.stdout.write(
            f"done: {report.quizzes} quizzes, {report.users} users and {report.queued} queued submissions restored; "
            f"{report.quizzes_skipped} quizzes and {report.users_skipped} users left as Redis has them"
            + ("" if force else " (--force overwrites)")
        )
        for uid in report.name_conflicts:
            self.stderr.write(f"user {uid}: the username now belongs to another user; not restored")
