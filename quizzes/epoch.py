"""The data store's epoch in PostgreSQL: "the service has run before", out of a Redis loss's reach.

Registered with config.redis.epoch by QuizzesConfig.ready; used only with DATABASE_URL set.
Kept in the quizzes app because `rebuild_redis` (quizzes/rebuild.py) is what restores it.
"""
from __future__ import annotations

from datetime import datetime

from django.conf import settings

from config.redis.epoch import Durable, Epoch
from quizzes.models import StoreEpoch

NAME = "redis"


def epoch_recorded_read() -> str | None:
    """The recorded epoch id, or None before the first start."""
    return StoreEpoch.objects.filter(name=NAME).values_list("epoch_id", flat=True).first()


def epoch_record(epoch: Epoch) -> None:
    """Record `epoch` as the data store's current one."""
    created = datetime.fromisoformat(epoch.created_at.replace("Z", "+00:00")) if epoch.created_at else None
    StoreEpoch.objects.update_or_create(
        name=NAME, defaults={"epoch_id": epoch.id, "by": epoch.by, **({"created_at": created} if created else {})},
        create_defaults={"epoch_id": epoch.id, "by": epoch.by, "created_at": created or datetime.now().astimezone()},
    )


DURABLE = Durable(read=epoch_recorded_read, write=epoch_record, enabled=lambda: settings.ARCHIVE_ENABLED)
