"""Groups: create, join by code, roles, owner-only actions, limits, and no existence leak."""
from __future__ import annotations

import pytest

from leaderboard import keys
from leaderboard.groups import CODE_ALPHABET, code_normalize

UNKNOWN = "0123456789abcdef"


@pytest.fixture
def people(make_user, auth_client):
    """Owner, member and outsider, each with a logged-in client."""
    made = {}
    for name in ("owner", "member", "outsider"):
        user = make_user(name)
        made[name] = (user, auth_client(user["token"]))
    return made


@pytest.fixture
def group(people) -> dict:
    _, owner = people["owner"]
    resp = owner.post("/api/v1/groups", {"name": "Class 7b"}, format="json")
    assert resp.status_code == 201, resp.content
    body = resp.json()
    _, member = people["member"]
    assert member.post("/api/v1/groups/join", {"join_code": body["join_code"]}, format="json").status_code == 200
    return body


def _error(resp, status: int, code: str) -> None:
    assert resp.status_code == status, resp.content
    assert resp.json()["error"]["code"] == code


def test_create_makes_the_caller_owner_with_a_code(people, group):
    owner, _ = people["owner"]
    assert group["owner_id"] == owner["id"] and group["role"] == "owner" and group["name"] == "Class 7b"
    assert len(group["join_code"]) >= 8 and set(group["join_code"]) <= set(CODE_ALPHABET)
    assert not set("ILOU") & set(group["join_code"])


def test_member_sees_the_group_without_its_code(people, group):
    member, client = people["member"]
    body = client.get(f"/api/v1/groups/{group['id']}").json()
    assert body["role"] == "member" and body["join_code"] is None and body["member_count"] == 2
    assert [g["id"] for g in client.get("/api/v1/groups").json()] == [group["id"]]


def test_joining_is_case_insensitive_and_repeatable(people, group):
    _, client = people["outsider"]
    spelled = "-".join([group["join_code"][:5].lower(), group["join_code"][5:]])
    first = client.post("/api/v1/groups/join", {"join_code": spelled}, format="json")
    again = client.post("/api/v1/groups/join", {"join_code": group["join_code"]}, format="json")
    assert first.status_code == again.status_code == 200
    assert again.json()["member_count"] == 3


def test_look_alikes_read_as_crockford_does():
    assert code_normalize("oOlIi-abcde") == "00111ABCDE"
    assert code_normalize("ooooo-11111") == "0000011111"
    assert code_normalize("ooooo-1111") is None  # too short
    assert code_normalize("UUUUU11111") is None  # U is no Crockford digit


def test_members_list_roles_and_join_times(people, group):
    _, client = people["member"]
    body = client.get(f"/api/v1/groups/{group['id']}/members").json()
    assert body["total"] == 2
    assert {(e["username"], e["role"]) for e in body["entries"]} == {("owner", "owner"), ("member", "member")}
    assert all(e["joined_at"] for e in body["entries"])


def test_non_members_get_404_everywhere(people, group):
    _, client = people["outsider"]
    gid = group["id"]
    for method, path in [("get", ""), ("patch", ""), ("delete", ""), ("post", "/join-code"), ("get", "/members"),
                         ("get", "/leaderboard"), ("get", "/leaderboard/me"),
                         ("delete", f"/members/{people['member'][0]['id']}")]:
        body = {"name": "x"} if method == "patch" else None
        resp = getattr(client, method)(f"/api/v1/groups/{gid}{path}", body, format="json")
        _error(resp, 404, "not_found")
        unknown = getattr(client, method)(f"/api/v1/groups/{UNKNOWN}{path}", body, format="json")
        assert (unknown.status_code, unknown.json()) == (resp.status_code, resp.json())


def test_members_get_403_for_owner_actions(people, group):
    _, client = people["member"]
    gid = group["id"]
    _error(client.patch(f"/api/v1/groups/{gid}", {"name": "mine"}, format="json"), 403, "forbidden")
    _error(client.delete(f"/api/v1/groups/{gid}"), 403, "forbidden")
    _error(client.post(f"/api/v1/groups/{gid}/join-code"), 403, "forbidden")
    _error(client.delete(f"/api/v1/groups/{gid}/members/{people['owner'][0]['id']}"), 403, "forbidden")


def test_owner_renames_rotates_and_removes(people, group, redis):
    _, owner = people["owner"]
    gid = group["id"]
    assert owner.patch(f"/api/v1/groups/{gid}", {"name": "Class 8b"}, format="json").json()["name"] == "Class 8b"
    new_code = owner.post(f"/api/v1/groups/{gid}/join-code").json()["join_code"]
    assert new_code != group["join_code"]
    _, outsider = people["outsider"]
    _error(outsider.post("/api/v1/groups/join", {"join_code": group["join_code"]}, format="json"), 404, "not_found")
    assert outsider.post("/api/v1/groups/join", {"join_code": new_code}, format="json").status_code == 200
    member, _ = people["member"]
    assert owner.delete(f"/api/v1/groups/{gid}/members/{member['id']}").status_code == 204
    assert not redis.sismember(keys.group_members(gid), member["id"])
    assert not redis.sismember(keys.user_groups(member["id"]), gid)


def test_member_leaves_owner_cannot(people, group, redis):
    member, client = people["member"]
    owner, owner_client = people["owner"]
    _error(owner_client.delete(f"/api/v1/groups/{group['id']}/members/{owner['id']}"), 409, "conflict")
    assert client.delete(f"/api/v1/groups/{group['id']}/members/{member['id']}").status_code == 204
    _error(client.get(f"/api/v1/groups/{group['id']}"), 404, "not_found")
    assert client.get("/api/v1/groups").json() == []


def test_deleting_ends_memberships_boards_and_code(people, group, redis):
    _, owner = people["owner"]
    member, client = people["member"]
    assert owner.delete(f"/api/v1/groups/{group['id']}").status_code == 204
    assert client.get("/api/v1/groups").json() == []
    assert redis.smembers(keys.user_groups(member["id"])) == set()
    _error(client.post("/api/v1/groups/join", {"join_code": group["join_code"]}, format="json"), 404, "not_found")
    assert redis.keys(f"qb:grp:{group['id']}*") == []


def test_a_full_group_answers_409(people, group, settings):
    settings.GROUP_MAX_MEMBERS = 2
    _, client = people["outsider"]
    _error(client.post("/api/v1/groups/join", {"join_code": group["join_code"]}, format="json"), 409, "conflict")


def test_groups_per_user_limit(people, settings):
    settings.GROUPS_MAX_PER_USER = 2
    _, client = people["outsider"]
    for n in range(2):
        assert client.post("/api/v1/groups", {"name": f"g{n}"}, format="json").status_code == 201
    _error(client.post("/api/v1/groups", {"name": "g3"}, format="json"), 409, "conflict")


@pytest.mark.parametrize("body", [{}, {"name": ""}, {"name": "x" * 101}, {"name": 5}, {"name": None}])
def test_bad_names_are_400(people, body):
    _, client = people["owner"]
    _error(client.post("/api/v1/groups", body, format="json"), 400, "invalid")


@pytest.mark.parametrize("code", ["", "short", "x" * 65, "UUUUUUUUUU", "ABCDEFGHJK"])
def test_unknown_or_malformed_codes(people, code):
    _, client = people["owner"]
    resp = client.post("/api/v1/groups/join", {"join_code": code}, format="json")
    assert resp.status_code in (400, 404) and resp.json()["error"]["code"] in ("invalid", "not_found")


def test_code_of_wrong_type_is_400(people):
    _, client = people["owner"]
    _error(client.post("/api/v1/groups/join", {"join_code": 12345678}, format="json"), 400, "invalid")


@pytest.mark.parametrize("path", ["/api/v1/groups/NOTANID", "/api/v1/groups/0123/members",
                                  "/api/v1/groups/0123456789abcdef/members/xyz"])
def test_malformed_ids_are_404(people, path):
    _, client = people["owner"]
    _error(client.get(path), 404, "not_found")


@pytest.mark.parametrize("query", ["limit=0", "limit=101", "period=year", "offset=-1"])
def test_bad_board_query_is_400(people, group, query):
    _, client = people["member"]
    _error(client.get(f"/api/v1/groups/{group['id']}/leaderboard?{query}"), 400, "invalid")


def test_joining_is_rate_limited_with_headers(people, group, settings):
    settings.RATELIMIT_GROUP_JOIN_RATE = "3/60s"
    _, client = people["outsider"]
    answers = [client.post("/api/v1/groups/join", {"join_code": "ZZZZZZZZZZ"}, format="json") for _ in range(3)]
    assert [a.status_code for a in answers] == [404, 404, 404]
    assert answers[-1]["RateLimit-Limit"] == "3" and answers[-1]["RateLimit-Remaining"] == "0"
    limited = client.post("/api/v1/groups/join", {"join_code": group["join_code"]}, format="json")
    _error(limited, 429, "rate_limited")
    assert int(limited["Retry-After"]) >= 1


def test_groups_need_authentication(api):
    assert api.get("/api/v1/groups").status_code == 401
    assert api.post("/api/v1/groups/join", {"join_code": "ZZZZZZZZZZ"}, format="json").status_code == 401
