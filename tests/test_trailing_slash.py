"""A documented path asked for with a trailing slash gets a 308 to the canonical path (method and
body kept), never a bare 404 (API.md); the API root without its slash is one 308 away too."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

CONTRACT = json.loads((Path(__file__).parent / "ops" / "openapi_contract.json").read_text())
SAMPLE_IDS = {"quiz_id": "0123456789abcdef", "user_id": "fedcba9876543210", "submission_id": "ab" * 16,
              "group_id": "00112233445566ff"}
OPERATIONS = sorted(
    (method, re.sub(r"{(\w+)}", lambda m: SAMPLE_IDS[m[1]], path))
    for method, path in (key.split(" ", 1) for key in CONTRACT["operations"])
)


@pytest.mark.parametrize("method,path", OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_every_documented_path_with_a_slash_is_a_308_to_it(api, method, path):
    resp = api.generic(method, path + "/?limit=3", HTTP_AUTHORIZATION="Bearer anything")

    assert resp.status_code == 308
    assert resp["Location"] == path + "?limit=3"


def test_the_redirect_keeps_method_and_body(api):
    body = {"username": "alice", "password": "correct-horse-1"}
    created = api.post("/api/v1/auth/register/", body, format="json", follow=True)

    assert created.status_code == 201 and created.json()["username"] == "alice"
    assert created.redirect_chain == [("/api/v1/auth/register", 308)]
    login = api.post("/api/v1/auth/login/", body, format="json", follow=True)
    assert login.status_code == 200
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {login.json()['token']}")
    assert api.get("/api/v1/quizzes/", follow=True).json() == []


def test_the_api_root_without_its_slash_redirects_and_unknown_paths_stay_404(api):
    root = api.get("/api/v1")
    assert (root.status_code, root["Location"]) == (308, "/api/v1/")

    for path in ("/api/v1/nope/", "/api/v1/quizzes/not-an-id/", "/api/v1/me/extra", "/"):
        resp = api.get(path)
        assert resp.status_code == 404, path
        assert resp.json()["error"]["code"] == "not_found"
