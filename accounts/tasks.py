"""RQ jobs for accounts housekeeping."""
from __future__ import annotations

import logging

from accounts import keys, services
from config.redis import redis_client

logger = logging.getLogger(__name__)


def session_indexes_tidy(*, batch: int = 500) -> int:
    """SCAN every per-user session index and drop entries whose session key has expired."""
    removed = 0
    pattern = keys.user_sessions("*")
    for index in redis_client().scan_iter(match=pattern, count=batch):
        user_id = index.split(":")[-2]
        removed += len(services.sessions_prune(user_id=user_id))
    logger.info("session index tidy removed %d dead entries", removed)
    return removed
