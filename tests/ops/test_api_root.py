"""`GET /api/v1/` is the router's API root: a link to every resource; the browsable API's
breadcrumbs read as names of resources."""
from __future__ import annotations

import json
import re
from pathlib import Path

CONTRACT = json.loads((Path(__file__).parent / "openapi_contract.json").read_text())
DOCUMENTED = {key.split(" ", 1)[1].removeprefix("/api/v1/") for key in CONTRACT["operations"]}


def test_api_root_links_every_documented_resource(api):
    resp = api.get("/api/v1/")

    assert resp.status_code == 200 and resp["Content-Type"] == "application/json"
    links = resp.json()
    assert set(links) == DOCUMENTED
    for route, url in links.items():
        assert url == f"http://testserver/api/v1/{route}"
    assert links["quizzes/{quiz_id}/submissions"].endswith("/quizzes/{quiz_id}/submissions")


def test_each_plain_link_of_the_root_is_a_live_endpoint(api, make_user, auth_client):
    client = auth_client(make_user()["token"])
    plain = [url for route, url in api.get("/api/v1/").json().items() if "{" not in route]
    assert len(plain) >= 10
    for url in plain:
        resp = client.options(url)  # OPTIONS changes nothing; admin/queues answers a player 403
        assert resp.status_code in (200, 403), url


def _breadcrumbs(page: str) -> list[str]:
    trail = page.split('<ul class="breadcrumb">', 1)[1].split("</ul>", 1)[0]
    return [name.strip() for name in re.findall(r"<a [^>]*>([^<]+)</a>", trail)]


def test_browsable_api_opens_on_the_root_and_names_its_breadcrumbs(make_user, auth_client, api):
    client = auth_client(make_user()["token"])

    root = api.get("/api/v1/", HTTP_ACCEPT="text/html")
    assert root.status_code == 200 and root["Content-Type"].startswith("text/html")
    assert _breadcrumbs(root.content.decode()) == ["Quizboard API"]

    crumbs = {
        path: _breadcrumbs(client.get(path, HTTP_ACCEPT="text/html").content.decode())
        for path in ("/api/v1/quizzes", "/api/v1/me", "/api/v1/leaderboard/me", "/api/v1/auth/sessions")
    }
    assert crumbs == {
        "/api/v1/quizzes": ["Quizboard API", "Quiz List"],
        "/api/v1/me": ["Quizboard API", "My profile"],
        "/api/v1/leaderboard/me": ["Quizboard API", "Leaderboard", "My rank"],
        "/api/v1/auth/sessions": ["Quizboard API", "Sessions"],
    }
