"""Object-level authorization: a user reaches only their own submissions and sessions, only admins
change quizzes, and every operation that needs a token refuses a request without a good one."""
from __future__ import annotations

import pytest
from drf_spectacular.generators import SchemaGenerator

from accounts import keys as account_keys
from accounts import services as account_services
from tests.quizzes.conftest import RIGHT, quiz_body, submit

SCHEMA = SchemaGenerator().get_schema(request=None, public=True)
SECURED = [
    (method.upper(), path)
    for path, operations in SCHEMA["paths"].items()
    for method, operation in operations.items()
    # Bearer, or the browser login's cookie (cookieAuth) as the alternative: no anonymous entry.
    if {"bearerAuth": []} in operation.get("security", []) and {} not in operation.get("security", [])
]
FAKE_IDS = {"quiz_id": "0" * 16, "submission_id": "0" * 32, "user_id": "0" * 16, "group_id": "0" * 16}
FORGED_TOKENS = {
    "no header": None,
    "unknown token": "0123456789abcdef." + "x" * 43,
    "another scheme": "Basic YWRtaW46YWRtaW4=",
    "bearer without token": "Bearer",
    "two tokens": "Bearer a b",
}


def _envelope(resp, status: int, code: str) -> None:
    assert resp.status_code == status, resp.content
    assert resp.json()["error"]["code"] == code


@pytest.mark.parametrize("method,path", SECURED)
@pytest.mark.parametrize("forged", list(FORGED_TOKENS))
def test_operations_that_need_a_token_refuse_requests_without_a_good_one(api, method, path, forged):
    header = FORGED_TOKENS[forged]
    if header is not None and not header.startswith(("Basic", "Bearer")):
        header = f"Bearer {header}"
    extra = {"HTTP_AUTHORIZATION": header} if header else {}
    resp = api.generic(method, path.format(**FAKE_IDS), data=b"{}", content_type="application/json", **extra)
    _envelope(resp, 401, "not_authenticated")
    assert resp["WWW-Authenticate"] == 'Bearer realm="api"'


def test_secured_operations_cover_the_api():
    assert len(SECURED) >= 18
    assert ("GET", "/api/v1/health") not in SECURED


def test_another_users_submission_is_not_found_exactly_like_a_missing_one(quiz, player):
    _, alice = player("alice")
    _, mallory = player("mallory")
    submission_id = submit(alice, quiz["id"], RIGHT).json()["id"]
    theirs = mallory.get(f"/api/v1/submissions/{submission_id}")
    missing = mallory.get(f"/api/v1/submissions/{'f' * 32}")
    assert theirs.status_code == missing.status_code == 404
    assert theirs.json() == missing.json()  # nothing tells "exists" from "not yours"
    assert alice.get(f"/api/v1/submissions/{submission_id}").status_code == 200


def test_a_token_with_another_users_id_is_refused(player, auth_client):
    alice, _ = player("alice")
    bob, _ = player("bob")
    _, secret = alice["token"].split(".", 1)
    forged = auth_client(f"{bob['id']}.{secret}")  # alice's secret under bob's id
    _envelope(forged.get("/api/v1/me"), 401, "not_authenticated")


def test_sessions_are_listed_and_ended_per_user_only(player, auth_client, redis):
    alice, alice_client = player("alice")
    bob, bob_client = player("bob")
    listed = alice_client.get("/api/v1/auth/sessions").json()
    assert [s["current"] for s in listed] == [True]
    assert bob_client.get("/api/v1/auth/sessions").json()[0]["id"] != listed[0]["id"]
    # A listed id is a prefix of a hash: it neither is nor reveals a token.
    assert listed[0]["id"] not in alice["token"]
    _envelope(auth_client(listed[0]["id"]).get("/api/v1/me"), 401, "not_authenticated")

    assert alice_client.post("/api/v1/auth/logout-all").status_code == 204
    _envelope(alice_client.get("/api/v1/me"), 401, "not_authenticated")
    assert bob_client.get("/api/v1/me").status_code == 200
    assert redis.exists(account_keys.user_sessions(bob["id"]))


@pytest.mark.parametrize("method,path,body", [
    ("post", "/api/v1/quizzes", quiz_body()),
    ("put", "/api/v1/quizzes/{id}", quiz_body(title="Mine now")),
    ("patch", "/api/v1/quizzes/{id}", {"title": "Mine now"}),
    ("delete", "/api/v1/quizzes/{id}", None),
])
def test_only_admins_change_quizzes(quiz, player, admin_client, method, path, body):
    _, client = player()
    resp = getattr(client, method)(path.format(id=quiz["id"]), body, format="json")
    _envelope(resp, 403, "forbidden")
    unchanged = admin_client.get(f"/api/v1/quizzes/{quiz['id']}").json()
    assert (unchanged["title"], unchanged["version"]) == (quiz["title"], quiz["version"])


def test_players_never_see_answers(quiz, player):
    _, client = player()
    detail = client.get(f"/api/v1/quizzes/{quiz['id']}").json()
    assert all("answer" not in question for question in detail["questions"])
    assert "answer" not in str(client.get("/api/v1/quizzes").json())


def test_a_demoted_admin_loses_admin_rights_on_the_open_session(admin_client, redis):
    admin_id = redis.hget(account_keys.users_by_name(), "admin")
    account_services.user_set_role(user_id=admin_id, role="user")
    _envelope(admin_client.post("/api/v1/quizzes", quiz_body(), format="json"), 403, "forbidden")
    _envelope(admin_client.get("/api/v1/admin/queues"), 403, "forbidden")


def test_queue_statistics_are_for_admins_only(player, admin_client):
    _, client = player()
    _envelope(client.get("/api/v1/admin/queues"), 403, "forbidden")
    assert admin_client.get("/api/v1/admin/queues").status_code == 200


def test_public_profiles_show_no_private_fields(player):
    alice, _ = player("alice")
    _, bob = player("bob")
    profile = bob.get(f"/api/v1/users/{alice['id']}").json()
    assert set(profile) == {"id", "username", "total_score", "quizzes_solved", "rank", "public"}  # API.md's profile


def test_a_websocket_ticket_is_single_use_and_dies_with_its_session(player):
    alice, client = player("alice")
    ticket = client.post("/api/v1/auth/ws-ticket").json()["ticket"]
    assert account_services.ws_ticket_redeem(ticket=ticket)["user_id"] == alice["id"]
    assert account_services.ws_ticket_redeem(ticket=ticket) is None  # used
    unused = client.post("/api/v1/auth/ws-ticket").json()["ticket"]
    client.post("/api/v1/auth/logout")
    assert account_services.ws_ticket_redeem(ticket=unused) is None  # its session ended
