"""Browser login (/api-auth/login/): Django's session cookie over an accounts session in Redis."""
from __future__ import annotations

import hashlib
import re

import pytest
from django.test import Client

from accounts import keys


def _csrf(page) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode()).group(1)


def _login(client: Client, username: str, password: str, next_path: str = "/api/v1/me"):
    page = client.get(f"/api-auth/login/?next={next_path}")
    assert page.status_code == 200
    # Posted as a browser posts the form: a client that does not ask for HTML gets an error
    # (the 429 here) as the JSON envelope instead of the page.
    return client.post("/api-auth/login/", {
        "username": username, "password": password, "next": next_path, "csrfmiddlewaretoken": _csrf(page),
    }, HTTP_ACCEPT="text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8")


@pytest.fixture
def browser() -> Client:
    return Client(enforce_csrf_checks=True)


def test_login_sets_a_safe_cookie_and_the_browsable_api_knows_the_user(make_user, browser):
    user = make_user()
    resp = _login(browser, user["username"], user["password"])
    assert resp.status_code == 302 and resp["Location"] == "/api/v1/me"
    cookie = resp.cookies["sessionid"]
    assert cookie["httponly"] and cookie["samesite"] == "Lax" and cookie["secure"]  # DEBUG is off here
    page = browser.get("/api/v1/me", HTTP_ACCEPT="text/html")
    assert page.status_code == 200 and "alice" in page.content.decode()
    assert "/api-auth/logout/" in page.content.decode()  # the navbar offers the logout


def test_a_redis_dump_holds_no_usable_cookie(make_user, browser, redis):
    user = make_user()
    _login(browser, user["username"], user["password"])
    cookie = browser.cookies["sessionid"].value
    dump = " ".join(redis.keys("*"))
    assert cookie not in dump
    assert keys.browser_session_cache_key(cookie).endswith(hashlib.sha256(cookie.encode()).hexdigest())
    assert any(k.endswith(hashlib.sha256(cookie.encode()).hexdigest()) for k in redis.keys("qb:cache:*"))


def test_a_wrong_password_shows_the_form_again(make_user, browser):
    user = make_user()
    resp = _login(browser, user["username"], "not-the-password")
    assert resp.status_code == 200 and "correct username and password" in resp.content.decode()
    assert browser.get("/api/v1/me").status_code == 401


def test_failed_browser_logins_share_the_api_login_limit(settings, make_user, browser, api):
    settings.RATELIMIT_LOGIN_FAILURES_RATE = "3/15m"
    user = make_user()
    for _ in range(3):
        assert _login(browser, user["username"], "not-the-password").status_code == 200
    blocked = _login(browser, user["username"], user["password"])  # even the right password now
    assert blocked.status_code == 429 and int(blocked["Retry-After"]) >= 1
    assert "Too many login attempts" in blocked.content.decode()
    assert browser.get("/api/v1/me").status_code == 401
    # The JSON login counts the same failures.
    api_login = api.post("/api/v1/auth/login", {"username": user["username"], "password": user["password"]},
                         format="json")
    assert api_login.status_code == 429


def test_a_right_password_uses_up_no_failure_slot(settings, make_user):
    settings.RATELIMIT_LOGIN_FAILURES_RATE = "2/15m"
    user = make_user()
    for _ in range(4):
        resp = _login(Client(enforce_csrf_checks=True), user["username"], user["password"])
        assert resp.status_code == 302


def test_unsafe_requests_with_the_cookie_need_the_csrf_token(make_user, browser, auth_client):
    user = make_user()
    _login(browser, user["username"], user["password"])
    refused = browser.post("/api/v1/auth/ws-ticket", content_type="application/json")
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden"
    token = re.search(r'name="csrf-token" content="([^"]+)"', browser.get("/live/").content.decode()).group(1)
    ticket = browser.post("/api/v1/auth/ws-ticket", content_type="application/json", HTTP_X_CSRFTOKEN=token)
    assert ticket.status_code == 200 and ticket.json()["ticket"]
    # Bearer tokens need no CSRF token, as before.
    assert auth_client(user["token"]).post("/api/v1/auth/ws-ticket").status_code == 200


def test_logout_ends_the_browser_session_on_the_server(make_user, browser, auth_client):
    user = make_user()
    _login(browser, user["username"], user["password"])
    bearer = auth_client(user["token"])
    assert len(bearer.get("/api/v1/auth/sessions").json()) == 2  # the token's and the browser's
    page = browser.get("/live/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode()).group(1)
    resp = browser.post("/api-auth/logout/", {"csrfmiddlewaretoken": token})
    assert resp.status_code == 302
    assert browser.get("/api/v1/me").status_code == 401
    assert [s["current"] for s in bearer.get("/api/v1/auth/sessions").json()] == [True]


def test_logout_all_and_idle_expiry_end_browser_sessions_too(make_user, browser, auth_client, redis):
    user = make_user()
    _login(browser, user["username"], user["password"])
    assert browser.get("/api/v1/me").status_code == 200
    assert auth_client(user["token"]).post("/api/v1/auth/logout-all").status_code == 204
    assert browser.get("/api/v1/me").status_code == 401

    _login(browser, user["username"], user["password"])
    for session in redis.keys("qb:session:*"):  # as if the 30 idle minutes had passed
        redis.delete(session)
    assert browser.get("/api/v1/me").status_code == 401


def test_the_live_page_has_a_strict_csp_and_offers_the_login_when_logged_out(browser):
    page = browser.get("/live/")
    assert page.status_code == 200
    assert page["Content-Security-Policy"].startswith("default-src 'self'")
    assert "http" not in page["Content-Security-Policy"]
    assert "/api-auth/login/?next=/live/" in page.content.decode()
    assert browser.get("/", HTTP_ACCEPT="text/html,*/*;q=0.8")["Location"] == "/live/"
    assert browser.get("/").json()["error"]["code"] == "not_found"  # an API client: the JSON 404


def test_login_answers_503_when_redis_is_down(browser, redis_down):
    page = browser.get("/api-auth/login/")
    assert page.status_code == 200
    resp = browser.post("/api-auth/login/", {"username": "alice", "password": "correct-horse-1",
                                              "csrfmiddlewaretoken": _csrf(page)})
    assert resp.status_code == 503 and resp.json()["error"]["code"] == "service_unavailable"


def test_the_schema_opened_in_a_browser_is_text_and_api_clients_still_get_openapi(api):
    browser_accept = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    page = api.get("/api/v1/schema/", HTTP_ACCEPT=browser_accept)
    assert page.status_code == 200 and page["Content-Type"].startswith("text/plain")
    assert page.content.startswith(b"openapi: 3.")
    assert api.get("/api/v1/schema/")["Content-Type"].startswith("application/vnd.oai.openapi")


def test_the_docs_pages_load_nothing_from_a_cdn(api):
    for path in ("/api/v1/docs/", "/api/v1/redoc/"):
        html = api.get(path).content.decode()
        assert "/static/drf_spectacular_sidecar/" in html
        assert not re.findall(r'(?:src|href)="https?://', html), path
