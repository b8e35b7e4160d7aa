"""RQ jobs for the leaderboard's housekeeping (scheduled in config/cron.py, run by the `maintenance` worker)."""
from __future__ import annotations

import logging

from leaderboard import services

logger = logging.getLogger(__name__)


def period_boards_retain() -> int:
    """Apply the retention settings to every day and week board still in Redis."""
    found = services.period_boards_retain()
    logger.debug("period boards retained: %d", found)
    return found
