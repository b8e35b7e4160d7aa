"""`manage.py cron CONFIG`: django-rq's `rqcron`, with a scheduler that outlives Redis outages."""
from __future__ import annotations

import logging

from django.core.management.base import BaseCommand

from config.jobs.cron_scheduler import ResilientCronScheduler


class Command(BaseCommand):
    help = "Run RQ's cron scheduler on the jobs CONFIG registers; it waits out Redis outages."

    def add_arguments(self, parser) -> None:
        parser.add_argument("config_path", help="module or file that registers the cron jobs")
        parser.add_argument("--logging-level", "-l", default="INFO",
                            choices=["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"])

    def handle(self, *args, **options) -> None:
        scheduler = ResilientCronScheduler(logging_level=getattr(logging, options["logging_level"]))
        scheduler.load_config_from_file(options["config_path"])
        self.stdout.write(f"Starting cron scheduler with {len(scheduler.get_jobs())} jobs...")
        scheduler.start()
