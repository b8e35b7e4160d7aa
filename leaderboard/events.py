"""Leaderboard events: Pub/Sub fan-out and the capped replay Stream (placeholder)."""
from __future__ import annotations


def score_events_publish(
    *,
    user_id: str,
    username: str,
    submission_id: str,
    score: int,
    total_score: int,
    rank_before: int | None,
    rank_after: int | None,
    top10_changed: bool,
) -> None:
    """Publish the events a processed submission causes (placeholder: publishes nothing yet)."""
