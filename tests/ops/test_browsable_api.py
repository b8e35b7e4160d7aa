"""The DRF browsable API renders for a browser that sends `Authorization: Bearer <token>`."""
from __future__ import annotations


def test_browsable_api_renders_with_a_bearer_token(make_user, auth_client, api):
    user = make_user()
    client = auth_client(user["token"])

    page = client.get("/api/v1/me", HTTP_ACCEPT="text/html")

    assert page.status_code == 200 and page["Content-Type"].startswith("text/html")
    assert "total_score" in page.content.decode() and user["id"] in page.content.decode()
    for path in ("/api/v1/auth/sessions", "/api/v1/leaderboard", "/api/v1/quizzes"):
        assert client.get(path, HTTP_ACCEPT="text/html").status_code == 200, path
    # Without the header the page explains the 401 in the error envelope.
    anonymous = api.get("/api/v1/me", HTTP_ACCEPT="text/html")
    assert anonymous.status_code == 401 and "not_authenticated" in anonymous.content.decode()


def test_json_stays_the_default_for_api_clients(make_user, auth_client):
    resp = auth_client(make_user()["token"]).get("/api/v1/me")
    assert resp["Content-Type"] == "application/json"
