"""The SCAN pass: session-index entries whose session expired are dropped, live ones stay."""
from __future__ import annotations

from accounts import keys, lifecycle, selectors, services


def _user_with_sessions(username: str, count: int) -> tuple[dict, list[services.NewSession]]:
    user = services.user_create(username=username, password="correct-horse-1")
    return user, [services.session_create(user=user) for _ in range(count)]


def test_scan_pass_drops_entries_of_expired_sessions_only(redis):
    users = [_user_with_sessions(f"user{i}", 3) for i in range(25)]
    expired = 0
    for i, (user, sessions) in enumerate(users):
        # As if the idle timeout ran out: Redis expired the hash, the index entry stayed behind.
        for session in sessions[: i % 4]:
            redis.delete(keys.session(session.session_id))
            expired += 1
    for _ in range(200):  # unrelated keys the SCAN walks past
        redis.set(f"qb:other:{_}", 1)

    report = lifecycle.session_indexes_tidy(batch=10)

    assert report.dead_entries == expired and report.indexes == 25
    assert report.scan_calls > 1  # COUNT 10 over ~300 keys: a real cursor walk, never KEYS
    for i, (user, sessions) in enumerate(users):
        live = {s.session_id for s in sessions[i % 4:]}
        assert set(redis.zrange(keys.user_sessions(user["id"]), 0, -1)) == live
        assert len(selectors.user_sessions(user_id=user["id"])) == len(live)


def test_an_index_left_with_only_dead_entries_disappears(redis):
    user, sessions = _user_with_sessions("ghost", 2)
    for session in sessions:
        redis.delete(keys.session(session.session_id))

    assert lifecycle.session_indexes_tidy().dead_entries == 2
    assert not redis.exists(keys.user_sessions(user["id"]))


def test_scan_pass_dry_run_only_counts(redis):
    user, sessions = _user_with_sessions("counted", 2)
    redis.delete(keys.session(sessions[0].session_id))

    report = lifecycle.session_indexes_tidy(dry_run=True)

    assert report.dead_entries == 1
    assert redis.zcard(keys.user_sessions(user["id"])) == 2


def test_live_sessions_keep_working_after_the_pass(redis, auth_client):
    user, sessions = _user_with_sessions("alive", 2)
    redis.delete(keys.session(sessions[0].session_id))
    lifecycle.session_indexes_tidy()
    assert auth_client(sessions[1].token).get("/api/v1/me").status_code == 200
    assert auth_client(sessions[0].token).get("/api/v1/me").status_code == 401
