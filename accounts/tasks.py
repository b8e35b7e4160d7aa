"""RQ jobs for accounts housekeeping (scheduled in config/cron.py, run by the `worker`)."""
from __future__ import annotations

import logging

from accounts import erasure, lifecycle

logger = logging.getLogger(__name__)


def inactive_users_cleanup(*, days: float | None = None, dry_run: bool = False) -> dict:
    """Evict users inactive for `days` (default INACTIVE_AFTER_DAYS), then tidy session indexes."""
    report = lifecycle.inactive_users_cleanup(days=days, dry_run=dry_run, progress=logger.info)
    logger.info("inactive-user cleanup: %s", report.summary())
    return report.as_dict()


def erasures_resume() -> list[str]:
    """Finish account erasures a crash left half done (their ids stay in the erasures index)."""
    return erasure.erasures_resume()
