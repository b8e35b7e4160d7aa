"""HTTP leaderboard: pages with names, 1-based ranks, ties by time, around-me, periods."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from tests.leaderboard.conftest import T0


@pytest.fixture
def players(make_user, board):
    """Five users: carol 300, alice 200 (first), bob 200 (a second later), dave 100, erin unranked."""
    users = {name: make_user(name) for name in ("alice", "bob", "carol", "dave", "erin")}
    board(users["carol"]["id"], 300)
    board(users["alice"]["id"], 200, at=T0)
    board(users["bob"]["id"], 200, at=T0 + 1)
    board(users["dave"]["id"], 100)
    return users


def _names(entries):
    return [(e["rank"], e["username"], e["score"]) for e in entries]


def test_top_page_has_names_ranks_and_ties_by_time(players, auth_client):
    resp = auth_client(players["erin"]["token"]).get("/api/v1/leaderboard")
    assert resp.status_code == 200
    body = resp.json()
    assert body["total"] == 4
    assert _names(body["entries"]) == [(1, "carol", 300), (2, "alice", 200), (3, "bob", 200), (4, "dave", 100)]
    assert body["entries"][0]["user_id"] == players["carol"]["id"]


def test_paging(players, auth_client):
    body = auth_client(players["erin"]["token"]).get("/api/v1/leaderboard?limit=2&offset=1").json()
    assert body["total"] == 4
    assert _names(body["entries"]) == [(2, "alice", 200), (3, "bob", 200)]
    past_end = auth_client(players["erin"]["token"]).get("/api/v1/leaderboard?offset=10").json()
    assert past_end == {"total": 4, "entries": [], "period": {"name": "all", "starts_at": None, "ends_at": None}}


@pytest.mark.parametrize("query", ["limit=0", "limit=101", "offset=-1", "limit=x", "period=year", "period=", "limit="])
def test_bad_query_is_400(players, auth_client, query):
    resp = auth_client(players["erin"]["token"]).get(f"/api/v1/leaderboard?{query}")
    assert resp.status_code == 400
    assert resp.json()["error"]["code"] == "invalid"


def test_leaderboard_needs_authentication(api):
    assert api.get("/api/v1/leaderboard").status_code == 401


def test_me_with_neighbours(players, auth_client):
    body = auth_client(players["bob"]["token"]).get("/api/v1/leaderboard/me?around=1").json()
    assert body["rank"] == 3 and body["score"] == 200
    assert _names(body["around"]) == [(2, "alice", 200), (3, "bob", 200), (4, "dave", 100)]
    top = auth_client(players["carol"]["token"]).get("/api/v1/leaderboard/me").json()
    assert _names(top["around"]) == [(1, "carol", 300), (2, "alice", 200), (3, "bob", 200)]


def test_me_unranked(players, auth_client):
    body = auth_client(players["erin"]["token"]).get("/api/v1/leaderboard/me").json()
    assert body == {"rank": None, "score": 0, "around": []}


def test_user_rank_by_id(players, auth_client):
    client = auth_client(players["erin"]["token"])
    assert client.get(f"/api/v1/leaderboard/users/{players['alice']['id']}").json() == {"rank": 2, "score": 200}
    assert client.get(f"/api/v1/leaderboard/users/{players['erin']['id']}").json() == {"rank": None, "score": 0}
    missing = client.get("/api/v1/leaderboard/users/0123456789abcdef")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"


def test_day_and_week_boards_are_separate(make_user, board, auth_client):
    alice, bob = make_user("alice"), make_user("bob")
    now = datetime.now(timezone.utc)
    board(alice["id"], 50, at=int(now.timestamp()), period="day")
    board(bob["id"], 70, at=int(now.timestamp()), period="week")
    board(bob["id"], 10, at=int(now.timestamp()) - 8 * 86400, period="day")  # an old day
    client = auth_client(alice["token"])
    day = client.get("/api/v1/leaderboard?period=day").json()
    assert _names(day["entries"]) == [(1, "alice", 50)]
    week = client.get("/api/v1/leaderboard?period=week").json()
    assert _names(week["entries"]) == [(1, "bob", 70)]
    assert client.get("/api/v1/leaderboard").json()["total"] == 0
    assert client.get("/api/v1/leaderboard/me?period=day").json()["rank"] == 1


def test_authenticated_top10_read_costs_two_round_trips(players, auth_client, roundtrips):
    client = auth_client(players["erin"]["token"])
    client.get("/api/v1/leaderboard")  # warm up: scripts load once per process
    roundtrips.reset()
    resp = client.get("/api/v1/leaderboard?limit=10")
    assert resp.status_code == 200 and len(resp.json()["entries"]) == 4
    assert roundtrips.count == 2  # authenticate (one script) + page, names and total (one script)


@pytest.mark.parametrize("path", ["/api/v1/leaderboard/me?around=3", "/api/v1/leaderboard/users/{alice}"])
def test_rank_reads_cost_two_round_trips(players, auth_client, roundtrips, path):
    client = auth_client(players["erin"]["token"])
    path = path.format(alice=players["alice"]["id"])
    client.get(path)  # warm up
    roundtrips.reset()
    assert client.get(path).status_code == 200
    assert roundtrips.count == 2  # authenticate + one script (around) or one pipeline (rank of)


def test_malformed_user_ids_are_json_404s_not_key_names(make_user, auth_client):
    client = auth_client(make_user("malformed")["token"])
    for path in ("/api/v1/leaderboard/users/abc", "/api/v1/leaderboard/users/0123456789abcdef:password"):
        resp = client.get(path)
        assert resp.status_code == 404, path
        assert resp.json()["error"]["code"] == "not_found"
