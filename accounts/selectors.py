"""Reads for accounts: profiles and session listings."""
from __future__ import annotations


from accounts import keys
from config.http.times import iso_from_epoch
from config.redis.clients import async_redis_client, redis_client
from leaderboard.selectors import board_rank_call


def _iso_ms(ms: int | str | None) -> str | None:
    if ms is None:
        return None
    return iso_from_epoch(int(ms) / 1000)


def user_profile(*, user_id: str) -> dict | None:
    """Return {id, username, total_score, quizzes_solved, rank} or None (one round trip)."""
    return _profile(*_profile_reads(redis_client().pipeline(transaction=False), user_id).execute())


async def user_profile_async(*, user_id: str) -> dict | None:
    """`user_profile` on the running event loop's Redis pool (accounts/fastreads.py)."""
    return _profile(*await _profile_reads(async_redis_client().pipeline(transaction=False), user_id).execute())


def _profile_reads(pipe, user_id: str):
    pipe.hgetall(keys.user_profile(user_id))
    source, rank_keys, rank_args = board_rank_call(user_id=user_id)
    pipe.eval(source, len(rank_keys), *rank_keys, *rank_args)  # EVAL: no extra round trip in a pipeline
    return pipe


def _profile(profile: dict, ranked: list) -> dict | None:
    if not profile:
        return None
    rank = None if ranked[0] < 0 else ranked[0]
    return {
        "id": profile["id"],
        "username": profile["username"],
        "total_score": int(profile.get("total_score", 0)),
        "quizzes_solved": int(profile.get("quizzes_solved", 0)),
        "rank": None if rank is None else rank + 1,
        "public": not profile.get("hidden"),
    }


def user_sessions(*, user_id: str, current_session_id: str | None = None) -> list[dict]:
    """List the user's live sessions, newest first (two round trips)."""
    client = redis_client()
    session_ids = client.zrevrange(keys.user_sessions(user_id), 0, -1)
    pipe = client.pipeline(transaction=False)
    for sid in session_ids:
        pipe.hmget(keys.session(sid), "created", "seen")
    rows = pipe.execute() if session_ids else []
    sessions = []
    for sid, (created, seen) in zip(session_ids, rows):
        if created is None:
            continue  # expired; the index is pruned on login and by the sweep
        sessions.append(
            {
                "id": sid[:16],
                "created_at": _iso_ms(created),
                "last_seen_at": _iso_ms(seen),
                "current": sid == current_session_id,
            }
        )
    sessions.sort(key=lambda s: s["created_at"], reverse=True)
    return sessions


def user_identity(*, user_id: str) -> dict | None:
    """Return {id, username, role} or None (one HMGET)."""
    uid, username, role = redis_client().hmget(keys.user_profile(user_id), "id", "username", "role")
    if uid is None:
        return None
    return {"id": uid, "username": username, "role": role or "user"}
