"""`manage.py demo_data [--force]` (`make demo`): fill a development Redis with a small data set (quizzes/demo.py)."""
from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from config.redis.epoch import DataLost
from quizzes import demo


class Command(BaseCommand):
    help = (
        "Fill a development Redis through the services: three quizzes, some dozens of learners with scores "
        "over the last week, and an admin. Refuses a Redis holding users or quizzes it did not write."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--force", action="store_true", help="add the demo beside data it did not write")

    def handle(self, *args, force: bool = False, **options) -> None:
        try:
            report = demo.demo_fill(force=force)
        except demo.ForeignData as exc:
            raise CommandError(f"{exc}: this looks like someone's data. Use an empty Redis, or --force.") from exc
        except DataLost as exc:
            raise CommandError(f"{exc.message} (docs/operations.md: a Redis that comes back empty)") from exc
        self.stdout.write(
            f"demo data: {report.learners} learners ({report.learners_created} new), {report.quizzes} quizzes "
            f"({report.quizzes_created} new), {report.scored} attempts scored this run"
            + (f" over {len(report.days)} days" if report.days else " (the earlier run's scores stay)")
        )
        self.stdout.write(f"admin:    {demo.ADMIN} / {demo.ADMIN_PASSWORD}")
        self.stdout.write(f"learners: any of {', '.join(demo.LEARNERS[:3])}, ... / {demo.LEARNER_PASSWORD}")
        self.stdout.write("explore:  the live page /live/, GET /api/v1/leaderboard, GET /api/v1/quizzes, the docs /api/v1/docs/")
