"""`manage.py outbox_relay`: the Procfile's `relay` process, the outbox's `relay` consumer group."""
from __future__ import annotations

import signal
import threading

from django.core.management.base import BaseCommand

from config.outbox.reader import RELAY_HANDLERS, OutboxReader
from config.redis.clients import redis_client

GROUP = "relay"


class Command(BaseCommand):
    help = "Move outbox entries to where they belong (score jobs to the queue's Redis), until stopped."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="handle what is there now, then exit")

    def handle(self, *args, once: bool = False, **options):
        handlers = dict(RELAY_HANDLERS)
        reader = OutboxReader(client=redis_client(), group=GROUP, handlers=handlers)
        if once:
            while reader.run_once():
                pass
            return
        stop = threading.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
        self.stdout.write(f"outbox relay {reader.consumer}: group {GROUP}, types {sorted(handlers)}")
        reader.run(stop)
