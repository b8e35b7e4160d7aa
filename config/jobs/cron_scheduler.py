"""RQ's cron scheduler (django-rq's DjangoCronScheduler) that waits out Redis outages.

RQ's CronScheduler.start() loop ends the process at the first connection error (its heartbeat
raises ConnectionError and `rqcron` exits with 1), and under honcho one exiting process stops
every other one. This subclass runs the same loop steps, but while Redis is unreachable it
retries them with backoff instead. A job whose enqueue was interrupted is enqueued on the next
pass (its next time is set only after an enqueue succeeds), so at worst a run is enqueued twice,
which both jobs tolerate.
"""
from __future__ import annotations

import time
from contextlib import suppress

from django_rq.cron import DjangoCronScheduler
from rq.exceptions import StopRequested

from config.jobs.routine_logs import quiet_cron_enqueues
from config.redis.epoch import EpochWatch
from config.redis.errors import REDIS_DOWN, Backoff

# Library -> the versions this subclass was written and tested against (its `start` is rq.cron's
# CronScheduler.start with each pass guarded; django-rq provides the class it extends).
PATCHES = {"rq": ">=2.12,<2.13", "django-rq": ">=4.2,<4.3"}


class ResilientCronScheduler(DjangoCronScheduler):
    """DjangoCronScheduler whose loop outlives Redis outages."""

    def start(self) -> None:
        # The body of rq.cron.CronScheduler.start, with each pass guarded against REDIS_DOWN.
        self.log.info("CronScheduler %s: starting...", self.name)
        quiet_cron_enqueues()  # one line per periodic enqueue (every 15 s) is routine
        self._install_signal_handlers()
        registered = False
        backoff, epoch = Backoff(), EpochWatch()
        try:
            while True:
                try:
                    epoch.check()
                    if not registered:
                        self.register_birth()
                        registered = True
                    if self.enqueue_jobs():
                        self.save()
                    self.heartbeat()
                    backoff.reset()
                    pause = self.calculate_sleep_interval()
                except REDIS_DOWN as exc:
                    pause = backoff.next()
                    self.log.warning("CronScheduler %s: Redis unreachable (%s); retrying in %.1f s",
                                     self.name, exc, pause)
                if pause > 0:
                    time.sleep(pause)
        except (KeyboardInterrupt, StopRequested):
            self.log.info("CronScheduler %s: stop requested", self.name)
        finally:
            with suppress(*REDIS_DOWN):
                self.register_death()
            self.log.info("CronScheduler %s: shutdown complete", self.name)
