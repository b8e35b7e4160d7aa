"""Every HTML page works in Chromium under its Content-Security-Policy, with no violation reported
(tests/test_csp.py checks which policy each page gets).

Chromium writes each refused script, style, image, connection or worker to the console as a
"Content Security Policy" message; each test reads the console after using the page.
"""
from __future__ import annotations

import json

from selenium.webdriver.common.by import By

from tests.browser.conftest import browser_login, shot, wait_for
from tests.browser.test_browsable_api import QUIZ, _raw_request, _response_json, _text

# Redoc draws its remote logo (an <img> it always renders, in the "API docs by Redocly" link the
# page hides) and the policy refuses it: the one violation a page may report, by its URL.
REDOC_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"


def _violations(driver, allowed: tuple[str, ...] = ()) -> list[str]:
    """The console's CSP messages since the last read, but those naming an `allowed` URL."""
    messages = [e["message"] for e in driver.get_log("browser") if "Content Security Policy" in e["message"]]
    return [m for m in messages if not any(url in m for url in allowed)]


def _inline_scripts(driver) -> list[str]:
    """Script elements on the page with code in them (JSON data blocks are not run)."""
    return driver.execute_script(
        "return [...document.scripts].filter(s => !s.src && s.type !== 'application/json')"
        ".map(s => s.outerHTML.slice(0, 200))"
    )


def test_logging_in_and_posting_a_form_in_the_browsable_api_report_no_violation(site, browser):
    admin = site.register("teacher", admin=True)
    browser_login(browser, site, admin, next_path="/api/v1/quizzes")
    wait_for(browser, lambda d: d.current_url.endswith("/api/v1/quizzes") and _response_json(d) == [], "the quiz list")
    _raw_request(browser, "POST", QUIZ)
    quiz = wait_for(browser, lambda d: "201" in d.find_element(By.CSS_SELECTOR, ".response-info").text
                    and _response_json(d), "201 Created")
    assert quiz["title"] == QUIZ["title"]
    assert _inline_scripts(browser) == []
    # DRF's own scripts run: the navbar's dropdown opens (bootstrap.js, jQuery).
    browser.find_element(By.CSS_SELECTOR, ".navbar .dropdown-toggle").click()
    wait_for(browser, lambda d: d.find_element(By.LINK_TEXT, "Log out").is_displayed(), "the user menu")
    assert _violations(browser) == []
    browser.find_element(By.LINK_TEXT, "Log out").click()
    wait_for(browser, lambda d: "not_authenticated" in _text(d), "the logged-out page")
    assert _violations(browser) == []


def test_a_wrong_password_on_the_login_page_reports_no_violation(site, browser):
    site.register("alice")
    browser.get(f"{site.url}/api-auth/login/")
    browser.find_element(By.ID, "id_username").send_keys("alice")
    browser.find_element(By.ID, "id_password").send_keys("wrong-password")
    browser.find_element(By.ID, "submit-id-submit").click()
    wait_for(browser, lambda d: "correct username and password" in _text(d), "the form error")
    assert _inline_scripts(browser) == []
    assert _violations(browser) == []


def test_swagger_ui_renders_and_try_it_out_works(site, browser):
    browser.get(f"{site.url}/api/v1/docs/")
    wait_for(browser, lambda d: len(d.find_elements(By.CSS_SELECTOR, ".opblock")) > 10, "Swagger UI's operations")
    assert _inline_scripts(browser) == []
    health = browser.find_element(By.CSS_SELECTOR, "#operations-health-health_retrieve")
    health.find_element(By.CSS_SELECTOR, ".opblock-summary-control").click()
    wait_for(browser, lambda d: health.find_element(By.CSS_SELECTOR, ".try-out__btn"), "Try it out").click()
    wait_for(browser, lambda d: health.find_element(By.CSS_SELECTOR, ".execute"), "Execute").click()
    status = wait_for(browser, lambda d: health.find_element(By.CSS_SELECTOR, ".live-responses-table tbody .response-col_status"),
                      "the live response")
    body = health.find_element(By.CSS_SELECTOR, ".live-responses-table .microlight").text
    shot(browser, "csp-swagger")
    browser.save_screenshot("/tmp/csp-swagger.png")
    assert status.text.strip().startswith("200")
    assert json.loads(body)["status"] == "ok"
    assert _violations(browser) == []


def test_redoc_renders_under_its_policy(site, browser):
    browser.get(f"{site.url}/api/v1/redoc/")
    wait_for(browser, lambda d: "Quizboard API" in _text(d) and d.find_elements(By.CSS_SELECTOR, "[data-section-id]"),
             "Redoc to render the API")
    # Its search runs in a blob: Web Worker: typing finds an operation.
    browser.find_element(By.CSS_SELECTOR, "input[role='search'], .search-input").send_keys("leaderboard")
    wait_for(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "[data-role='search:results'] li"), "search results")
    # The page's own stylesheet applies: Redoc's link to its vendor is hidden.
    sheets = browser.execute_script("return [...document.styleSheets].map(s => s.href).filter(Boolean)")
    assert any(href.endswith("/quizboard/redoc.css") for href in sheets), sheets
    assert not browser.find_element(By.CSS_SELECTOR, "a[href*='redocly.com']").is_displayed()
    shot(browser, "csp-redoc")
    browser.save_screenshot("/tmp/csp-redoc.png")
    assert _inline_scripts(browser) == []
    assert _violations(browser, allowed=(REDOC_LOGO,)) == []


def test_the_live_page_reports_no_violation(site, browser):
    user = site.register("alice")
    browser_login(browser, site, user, next_path="/live/")
    wait_for(browser, lambda d: d.find_element(By.ID, "status").text == "live", "the live page's socket")
    assert _inline_scripts(browser) == []
    assert _violations(browser) == []
