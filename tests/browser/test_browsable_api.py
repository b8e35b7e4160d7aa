"""The browsable API in a real browser: log in, browse, create and edit a quiz, submit, docs."""
from __future__ import annotations

import json

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from tests.browser.conftest import browser_login, shot, wait_for

QUIZ = {
    "title": "World capitals",
    "questions": [
        {"text": "Capital of France?", "choices": ["Lyon", "Paris", "Nice"], "answer": 1, "points": 10},
        {"text": "Capital of Italy?", "choices": ["Rome", "Milan"], "answer": 0, "points": 20},
    ],
}


def _text(driver) -> str:
    return driver.find_element(By.TAG_NAME, "body").text


def _response_json(driver) -> dict:
    """The JSON body the browsable page shows for its response."""
    return json.loads(driver.find_element(By.CSS_SELECTOR, ".response-info pre").text.split("\n\n", 1)[1])


def _raw_request(driver, method: str, body: dict) -> None:
    """Send `body` with the page's raw data form (application/json is preselected)."""
    form = driver.find_element(By.CSS_SELECTOR, "#post-generic-content-form" if method == "POST"
                               else "#put-generic-content-form")
    content_type = Select(form.find_element(By.CSS_SELECTOR, "select[data-override='content-type']"))
    assert content_type.first_selected_option.text == "application/json"
    content = form.find_element(By.CSS_SELECTOR, "textarea[data-override='content']")
    content.clear()
    content.send_keys(json.dumps(body))
    form.find_element(By.XPATH, f".//button[normalize-space()='{method}']").click()


def test_a_person_logs_in_from_any_page_and_logs_out_again(site, browser):
    user = site.register("alice")
    browser.get(f"{site.url}/api/v1/me")
    assert "not_authenticated" in _text(browser)
    shot(browser, "01-me-anonymous")
    browser.find_element(By.LINK_TEXT, "Log in").click()
    wait_for(browser, lambda d: "/api-auth/login/" in d.current_url, "the login page")
    shot(browser, "02-login")
    browser.find_element(By.ID, "id_username").send_keys(user["username"])
    browser.find_element(By.ID, "id_password").send_keys(user["password"])
    browser.find_element(By.ID, "submit-id-submit").click()

    wait_for(browser, lambda d: d.current_url.endswith("/api/v1/me") and _response_json(d)["username"] == "alice",
             "the redirect back to /api/v1/me, logged in")
    shot(browser, "03-me-logged-in")
    cookie = browser.get_cookie("sessionid")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax" and cookie["secure"]

    browser.find_element(By.CSS_SELECTOR, ".navbar .dropdown-toggle").click()
    browser.find_element(By.LINK_TEXT, "Log out").click()
    wait_for(browser, lambda d: "not_authenticated" in _text(d), "the page to show the logged-out 401")
    # The session is over on the server too, not only forgotten by this browser.
    sessions = site.http.get("/api/v1/auth/sessions", headers=site.bearer(user)).json()
    assert len(sessions) == 1 and sessions[0]["current"]


def test_a_wrong_password_is_refused_with_the_login_form_again(site, browser):
    site.register("alice")
    browser.get(f"{site.url}/api-auth/login/")
    browser.find_element(By.ID, "id_username").send_keys("alice")
    browser.find_element(By.ID, "id_password").send_keys("wrong-password")
    browser.find_element(By.ID, "submit-id-submit").click()
    wait_for(browser, lambda d: "correct username and password" in _text(d), "the form error")
    assert browser.get_cookie("sessionid") is None


def test_an_admin_creates_and_edits_a_quiz_in_the_browser(site, browser):
    admin = site.register("teacher", admin=True)
    browser_login(browser, site, admin, next_path="/api/v1/quizzes")
    wait_for(browser, lambda d: d.current_url.endswith("/api/v1/quizzes") and _response_json(d) == [], "the quiz list")
    _raw_request(browser, "POST", QUIZ)
    quiz = wait_for(browser, lambda d: "201" in d.find_element(By.CSS_SELECTOR, ".response-info").text
                    and _response_json(d), "201 Created")
    shot(browser, "04-quiz-created")
    assert quiz["title"] == QUIZ["title"] and quiz["version"] == 1

    browser.get(f"{site.url}/api/v1/quizzes/{quiz['id']}")
    wait_for(browser, lambda d: _response_json(d)["id"] == quiz["id"], "the quiz page")
    _raw_request(browser, "PUT", {**QUIZ, "title": "European capitals"})
    wait_for(browser, lambda d: "European capitals" in d.find_element(By.CSS_SELECTOR, ".response-info").text,
             "the updated quiz")
    shot(browser, "05-quiz-updated")
    assert _response_json(browser)["version"] == 2
    served = site.http.get(f"/api/v1/quizzes/{quiz['id']}", headers=site.bearer(admin)).json()
    assert served["title"] == "European capitals"

    # A bad body is answered with the error envelope, shown on the same page.
    browser.get(f"{site.url}/api/v1/quizzes")
    _raw_request(browser, "POST", {"title": ""})
    error = wait_for(browser, lambda d: "400" in d.find_element(By.CSS_SELECTOR, ".response-info").text
                     and _response_json(d), "400")
    assert error["error"]["code"] == "invalid"


def test_a_player_submits_answers_and_opens_the_submission(site, browser, worker):
    admin = site.register("teacher", admin=True)
    quiz = site.http.post("/api/v1/quizzes", json=QUIZ, headers=site.bearer(admin)).json()
    player = site.register("bob")
    browser_login(browser, site, player, next_path=f"/api/v1/quizzes/{quiz['id']}/submissions")
    _raw_request(browser, "POST", {"answers": [1, 0]})
    accepted = wait_for(browser, lambda d: "202" in d.find_element(By.CSS_SELECTOR, ".response-info").text
                        and _response_json(d), "202 Accepted")
    shot(browser, "06-submitted")
    browser.find_element(By.LINK_TEXT, accepted["status_url"]).click()
    wait_for(browser, lambda d: d.current_url.endswith(accepted["status_url"]) and _response_json(d),
             "the submission page")

    def processed(driver):
        driver.refresh()
        return _response_json(driver)["status"] == "processed"

    wait_for(browser, processed, "the submission to be scored")
    shot(browser, "07-submission")
    assert _response_json(browser)["score"] == 30


def test_swagger_ui_shows_every_operation_offline(site, browser):
    schema = site.http.get("/api/v1/schema/", headers={"Accept": "application/vnd.oai.openapi+json"}).json()
    operations = {
        f"{method.upper()} {path}" for path, ops in schema["paths"].items() for method in ops
        if method in ("get", "post", "put", "patch", "delete")
    }
    browser.get(f"{site.url}/api/v1/docs/")
    wait_for(browser, lambda d: len(d.find_elements(By.CSS_SELECTOR, ".opblock")) >= len(operations),
             "Swagger UI to render the operations")
    shot(browser, "08-swagger")
    shown = {
        f"{b.find_element(By.CSS_SELECTOR, '.opblock-summary-method').text} "
        f"{b.find_element(By.CSS_SELECTOR, '.opblock-summary-path').get_attribute('data-path')}"
        for b in browser.find_elements(By.CSS_SELECTOR, ".opblock")
    }
    assert shown == operations
    # Nothing was loaded from anywhere but this server.
    resources = browser.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")
    assert resources and all(url.startswith(site.url) for url in resources), resources


def test_redoc_renders_offline(site, browser):
    browser.get(f"{site.url}/api/v1/redoc/")
    wait_for(browser, lambda d: "Quizboard API" in _text(d) and d.find_elements(By.CSS_SELECTOR, "[data-section-id]"),
             "Redoc to render the API")
    shot(browser, "09-redoc")
    # Redoc's own remote logo is the one foreign URL it names, and the page's CSP blocks it.
    resources = browser.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")
    blocked = " ".join(e["message"] for e in browser.get_log("browser") if "Content Security Policy" in e["message"])
    assert all(url.startswith(site.url) or url in blocked for url in resources), resources


def test_the_schema_opened_in_a_browser_is_readable_yaml(site, browser):
    browser.get(f"{site.url}/api/v1/schema/")
    assert _text(browser).startswith("openapi: 3.")


def test_the_api_root_links_lead_to_the_quizzes_and_the_leaderboard(site, browser):
    user = site.register("alice")
    browser_login(browser, site, user, next_path="/api/v1/")
    wait_for(browser, lambda d: "quizzes" in _response_json(d), "the API root")
    shot(browser, "00-api-root")
    assert browser.find_element(By.CSS_SELECTOR, ".navbar .dropdown-toggle").text == "alice"  # logged in
    assert browser.find_element(By.LINK_TEXT, "the live leaderboard").get_attribute("href") == f"{site.url}/live/"
    browser.find_element(By.LINK_TEXT, f"{site.url}/api/v1/quizzes").click()
    wait_for(browser, lambda d: d.current_url.endswith("/api/v1/quizzes") and _response_json(d) == [], "the quiz list")
    browser.back()
    wait_for(browser, lambda d: "leaderboard" in _response_json(d), "the API root again")
    browser.find_element(By.LINK_TEXT, f"{site.url}/api/v1/leaderboard").click()
    board = wait_for(browser, lambda d: d.current_url.endswith("/api/v1/leaderboard") and _response_json(d),
                     "the leaderboard")
    assert board == {"total": 0, "entries": [], "period": {"name": "all", "starts_at": None, "ends_at": None}}
    # Its breadcrumb leads back to the root.
    browser.find_element(By.CSS_SELECTOR, ".breadcrumb a").click()
    wait_for(browser, lambda d: d.current_url.endswith("/api/v1/"), "the root from the breadcrumb")


def test_an_admin_bans_and_unbans_and_a_person_hides_and_exports_in_the_browser(site, browser):
    """Issue 23's actions are on the browsable API with forms that work."""
    admin = site.register("teacher", admin=True)
    alice = site.register("alice")
    browser_login(browser, site, admin, next_path=f"/api/v1/users/{alice['id']}/ban")
    wait_for(browser, lambda d: d.current_url.endswith("/ban"), "the ban page")
    _raw_request(browser, "POST", {"reason": "spam"})
    banned = wait_for(browser, lambda d: "200" in d.find_element(By.CSS_SELECTOR, ".response-info").text
                      and _response_json(d), "the ban's 200")
    shot(browser, "20-banned")
    assert banned["banned"] is True and banned["reason"] == "spam"
    browser.get(f"{site.url}/api/v1/users/{alice['id']}/unban")
    _raw_request(browser, "POST", {"reason": "appeal"})
    wait_for(browser, lambda d: _response_json(d) == {"id": alice["id"], "banned": False}, "the unban")
    browser.get(f"{site.url}/api/v1/admin/audit")
    entries = wait_for(browser, lambda d: _response_json(d)["entries"], "the audit log")
    assert [e["action"] for e in entries] == ["user.unban", "user.ban"]
    shot(browser, "21-audit")

    browser.get(f"{site.url}/api-auth/logout/")
    alice = {**alice, "token": site.http.post("/api/v1/auth/login", json={
        "username": "alice", "password": alice["password"]}).json()["token"]}
    browser_login(browser, site, alice, next_path="/api/v1/me")
    wait_for(browser, lambda d: _response_json(d)["public"] is True, "my profile")
    _raw_request(browser, "PATCH", {"public": False})
    wait_for(browser, lambda d: _response_json(d)["public"] is False, "the hidden profile")
    shot(browser, "22-hidden")
    browser.get(f"{site.url}/api/v1/me/export")
    export = wait_for(browser, lambda d: _response_json(d)["profile"], "the export")
    assert export["username"] == "alice"
