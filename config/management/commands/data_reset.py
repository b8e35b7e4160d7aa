"""`manage.py data_reset --confirm`: acknowledge that Redis lost its data and start again empty (config/redis/epoch.py)."""
from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from config.redis.epoch import LOST, epoch_check, epoch_read, epoch_write


class Command(BaseCommand):
    help = (
        "Acknowledge a data loss without PostgreSQL: write a new epoch, so health answers 200 and "
        "register and login work again on the empty store. With DATABASE_URL set, use rebuild_redis."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--confirm", action="store_true", help="the accounts, quizzes and scores are gone for good")

    def handle(self, *args, confirm: bool = False, **options) -> None:
        if settings.ARCHIVE_ENABLED:
            raise CommandError("DATABASE_URL is set: `manage.py rebuild_redis` restores the data from PostgreSQL")
        state = epoch_check()
        if state != LOST:
            self.stdout.write(f"the data store has not lost its data (epoch {epoch_read().id}); nothing to do")
            return
        if not confirm:
            raise CommandError("this accepts that every account, quiz and score is gone: run it again with --confirm")
        epoch = epoch_write(by="data_reset")
        self.stdout.write(f"loss acknowledged: new epoch {epoch.id}; health answers 200 again")
