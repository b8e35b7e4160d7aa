"""The inactive-user sweep: who is evicted, who is kept (even mid-sweep), and what comes back."""
from __future__ import annotations


import redis as redis_py
from channels.layers import get_channel_layer
from django.conf import settings

from accounts import keys, lifecycle, selectors, services
from leaderboard import keys as lb_keys
from leaderboard.services import board_entries_put
from tests.boards import board_entry, board_points
from tests.ops.conftest import boards_at, keyspace


def _on_boards(redis, now: int, user_id: str) -> list[str]:
    return [board for board in boards_at(now) if board_points(redis, board, user_id) is not None]


def test_sweep_evicts_inactive_users_everywhere_and_keeps_their_profile(redis, member, now):
    idle = member("idle", days_ago=8, points=120)
    active = member("active", days_ago=1, points=80)

    report = lifecycle.inactive_users_sweep(days=7, now=now)

    assert (report.evicted, report.kept_active) == (1, 0)
    assert report.board_entries == 5
    assert _on_boards(redis, now, idle["id"]) == []
    assert redis.zscore(keys.users_last_seen(), idle["id"]) is None
    profile = selectors.user_profile(user_id=idle["id"])
    assert profile["username"] == "idle" and profile["total_score"] == 120 and profile["rank"] is None
    # The active user is untouched.
    assert len(_on_boards(redis, now, active["id"])) == 5
    assert redis.zscore(keys.users_last_seen(), active["id"]) is not None


def test_evicted_users_lose_every_live_session(redis, member, now, auth_client):
    """Sessions last at most a day, so only a threshold under a day can meet a live one."""
    idle = member("idle", days_ago=0.5)
    second = services.session_create(user=idle, now_ms=(now - 40_000) * 1000)
    active = member("active", days_ago=0.1)

    report = lifecycle.inactive_users_sweep(days=0.25, now=now)

    assert (report.evicted, report.sessions) == (1, 2)
    for token in (idle["token"], second.token):
        assert auth_client(token).get("/api/v1/me").status_code == 401
    assert not redis.exists(keys.user_sessions(idle["id"]))
    assert not redis.exists(keys.session(idle["session_id"]), keys.session(second.session_id))
    assert auth_client(active["token"]).get("/api/v1/me").status_code == 200


def test_sweep_covers_every_board_still_alive(now):
    assert set(boards_at(now)) <= set(lifecycle.live_boards(now=now))
    # Boards live PERIOD_DAYS_KEPT (14) days / PERIOD_WEEKS_KEPT (8) weeks past their period, and a day.
    monday = 1_800_273_600  # 2027-01-18T12:00:00Z
    assert lifecycle.live_boards(now=monday) == [
        "qb:lb:all", *[f"qb:lb:day:2027-01-{d:02d}" for d in range(18, 2, -1)],
        "qb:lb:week:2027-W03", "qb:lb:week:2027-W02", "qb:lb:week:2027-W01",
        *[f"qb:lb:week:2026-W{w}" for w in range(53, 46, -1)],
    ]
    wednesday = monday + 2 * 86_400
    assert lifecycle.live_boards(now=wednesday)[-10:] == [
        "qb:lb:day:2027-01-05", "qb:lb:week:2027-W03", "qb:lb:week:2027-W02", "qb:lb:week:2027-W01",
        *[f"qb:lb:week:2026-W{w}" for w in range(53, 47, -1)],
    ]


def test_sweep_follows_the_retention_settings(settings):
    """With one period kept, the boards are those of the former fixed rule (2 days, 8 days)."""
    settings.PERIOD_DAYS_KEPT = settings.PERIOD_WEEKS_KEPT = 1
    monday = 1_800_273_600  # 2027-01-18T12:00:00Z
    assert lifecycle.live_boards(now=monday) == [
        "qb:lb:all", "qb:lb:day:2027-01-18", "qb:lb:day:2027-01-17", "qb:lb:day:2027-01-16",
        "qb:lb:week:2027-W03", "qb:lb:week:2027-W02", "qb:lb:week:2027-W01",
    ]
    wednesday = monday + 2 * 86_400
    assert lifecycle.live_boards(now=wednesday)[-3:] == [
        "qb:lb:day:2027-01-18", "qb:lb:week:2027-W03", "qb:lb:week:2027-W02",
    ]


def test_fractional_days_and_the_boundary(redis, member, now):
    member("hours", days_ago=0.5)
    member("minutes", days_ago=0.01)
    report = lifecycle.inactive_users_sweep(days=0.25, now=now)
    assert report.evicted == 1
    assert redis.zscore(keys.users_last_seen(), redis.hget(keys.users_by_name(), "minutes")) is not None


def test_activity_landing_mid_sweep_keeps_the_user(redis, member, now, monkeypatch):
    """The candidate read sees the user as inactive; a request lands before the script runs."""
    user = member("late", days_ago=0.5)
    other = member("gone", days_ago=0.5)
    original = lifecycle.inactive_user_ids

    def read_then_user_returns(**kwargs):
        ids = original(**kwargs)
        if user["id"] in ids:
            assert services.session_touch(token=user["token"]) is not None
        return ids

    monkeypatch.setattr(lifecycle, "inactive_user_ids", read_then_user_returns)
    report = lifecycle.inactive_users_sweep(days=0.25, now=now)

    assert (report.evicted, report.kept_active) == (1, 1)
    assert len(_on_boards(redis, now, user["id"])) == 5
    assert services.session_touch(token=user["token"]) is not None
    assert _on_boards(redis, now, other["id"]) == []


def test_login_landing_mid_sweep_keeps_the_user(redis, member, now):
    user = member("back", days_ago=10)
    cutoff = lifecycle.inactive_cutoff(days=7, now=now)
    assert lifecycle.inactive_user_ids(cutoff=cutoff, offset=0, count=10) == [user["id"]]
    login = services.session_create(user=user)  # a fresh login between the read and the script

    outcome = lifecycle.users_evict(user_ids=[user["id"]], cutoff=cutoff, boards=boards_at(now))

    assert outcome == [[lifecycle.KEPT_ACTIVE, 0, 0]]
    assert len(_on_boards(redis, now, user["id"])) == 5
    assert services.session_touch(token=login.token) is not None


def test_session_index_moving_under_the_sweep_defers_the_user(redis, member, now, monkeypatch):
    """A session id the sweep did not read could escape; the script keeps the user instead."""
    user = member("raced", days_ago=10)
    original = lifecycle.indexed_sessions

    def read_then_index_moves(**kwargs):
        ids = original(**kwargs)
        redis.zadd(keys.user_sessions(user["id"]), {"f" * 64: now * 1000})
        return ids

    monkeypatch.setattr(lifecycle, "indexed_sessions", read_then_index_moves)
    report = lifecycle.inactive_users_sweep(days=7, now=now)
    assert (report.evicted, report.retry_next_run) == (0, 1)
    assert len(_on_boards(redis, now, user["id"])) == 5

    monkeypatch.setattr(lifecycle, "indexed_sessions", original)
    report = lifecycle.inactive_users_sweep(days=7, now=now)
    assert report.evicted == 1 and _on_boards(redis, now, user["id"]) == []


def test_batches_cover_every_inactive_user_and_a_second_run_finds_nothing(redis, member, now):
    users = [member(f"user{i}", days_ago=8 + i) for i in range(7)]
    keep = member("keep", days_ago=2)

    first = lifecycle.inactive_users_sweep(days=7, now=now, batch=3)
    second = lifecycle.inactive_users_sweep(days=7, now=now, batch=3)

    assert first.evicted == 7 and first.board_entries == 35
    assert (second.candidates, second.evicted) == (0, 0)
    assert all(_on_boards(redis, now, u["id"]) == [] for u in users)
    assert len(_on_boards(redis, now, keep["id"])) == 5


def test_dry_run_changes_nothing_and_reports_what_it_would_remove(redis, member, now):
    for i in range(5):
        member(f"idle{i}", days_ago=0.5)
    member("active", days_ago=0.1)
    dead = member("dead", days_ago=0.1)
    redis.delete(keys.session(dead["session_id"]))  # an orphan index entry the dry run must keep
    before = keyspace(redis)

    report = lifecycle.inactive_users_cleanup(days=0.25, now=now, dry_run=True, batch=2)

    assert keyspace(redis) == before
    assert report.sweep.evicted == 5 and report.sweep.board_entries == 25 and report.sweep.sessions == 5
    assert report.tidy.dead_entries == 1
    assert report.summary().startswith("would remove 5 inactive users")


def test_eviction_closes_sessions_like_logout_all(redis, member, now):
    user = member("listener", days_ago=0.5)
    prefix = settings.CHANNEL_LAYERS["default"]["CONFIG"]["prefix"]
    raw = redis_py.Redis.from_url(settings.REDIS_URL)  # group messages are msgpack bytes
    pubsub = raw.pubsub()
    pubsub.psubscribe(f"{prefix}__group__session.*")
    assert pubsub.get_message(timeout=1)["type"] == "psubscribe"

    lifecycle.inactive_users_sweep(days=0.25, now=now)

    message = pubsub.get_message(timeout=2)
    pubsub.close()
    raw.close()
    assert message["channel"].decode() == f"{prefix}__group__{keys.session_group(user['session_id'])}"
    assert get_channel_layer().deserialize(message["data"]) == {"type": "session.ended"}


def test_returning_user_is_back_on_the_global_board_with_the_same_score(redis, member, now, api):
    leader = member("leader", days_ago=1, points=500)
    idle = member("idle", days_ago=8, points=120)
    lifecycle.inactive_users_sweep(days=7, now=now)
    assert redis.hget(keys.user_profile(idle["id"]), "evicted") is not None

    login = api.post("/api/v1/auth/login", {"username": "idle", "password": "correct-horse-1"}, format="json")

    assert login.status_code == 200
    assert board_entry(redis, lb_keys.board("all"), idle["id"]) == idle["entry"]
    assert redis.hget(keys.user_profile(idle["id"]), "evicted") is None
    assert selectors.user_profile(user_id=idle["id"])["rank"] == 2
    assert board_entry(redis, lb_keys.board("all"), leader["id"]) == leader["entry"]


def test_sweep_never_creates_a_profile(redis, now):
    redis.zadd(keys.users_last_seen(), {"0123456789abcdef": now - 30 * 86_400})
    board_entries_put(board=lb_keys.board("all"), entries=[("0123456789abcdef", 1)])

    report = lifecycle.inactive_users_sweep(days=7, now=now)

    assert report.evicted == 1
    assert not redis.exists(keys.user_profile("0123456789abcdef"))
    assert redis.zcard(lb_keys.board("all")) == 0


def test_users_never_seen_are_left_alone(redis, now):
    user = services.user_create(username="quiet", password="correct-horse-1")
    assert lifecycle.inactive_users_sweep(days=7, now=now).candidates == 0
    assert redis.exists(keys.user_profile(user["id"]))


def test_two_sweeps_at_once_evict_each_user_exactly_once(redis, member, now):
    from concurrent.futures import ThreadPoolExecutor

    users = [member(f"user{i}", days_ago=8) for i in range(40)]
    with ThreadPoolExecutor(2) as pool:
        reports = list(pool.map(lambda _: lifecycle.inactive_users_sweep(days=7, now=now, batch=5), range(2)))

    assert sum(r.evicted for r in reports) == 40
    assert sum(r.board_entries for r in reports) == 200
    assert all(_on_boards(redis, now, u["id"]) == [] for u in users)
