"""Headless Chromium (Debian's chromium + chromium-driver, through Selenium) against the Procfile's
web server and worker on the test Redis. A failing test leaves a screenshot, the page's HTML and
the browser console log under a temporary folder it prints."""
from __future__ import annotations

import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile

from pathlib import Path

import httpx
import pytest

from tests.processes import ROOT, process_env

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
INSTALL = "install them with: apt-get update && apt-get install -y chromium chromium-driver"
WAIT = 10  # seconds a page may take to show something (a generous bound, not a measurement)
CHROMIUM_FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--window-size=1280,900",
    # No internet for the page: any host but this machine fails to resolve, so a page that
    # still needed a CDN would visibly break.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost",
)


@pytest.fixture(autouse=True)
def _chromium() -> None:
    """Skip before any server starts when the browser is not installed."""
    if not CHROMIUM or not CHROMEDRIVER:
        pytest.skip(f"chromium and chromedriver are needed for the browser tests; {INSTALL}")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


@pytest.fixture(scope="session")
def static_files() -> None:
    """Collect the static files the server (DEBUG off) serves through WhiteNoise."""
    done = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "--verbosity", "0"],
        cwd=ROOT, env=process_env(), capture_output=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr.decode()[-2000:]


class Site:
    """The running web server, seen as a browser sees it (http://localhost:PORT)."""

    def __init__(self, server) -> None:
        self.server = server
        # localhost, not 127.0.0.1: Chromium treats it as a secure context, so the Secure
        # cookies of a production (DEBUG off) server work over plain HTTP in the tests.
        self.url = f"http://localhost:{server.port}"
        self.http = httpx.Client(base_url=server.url, timeout=10)

    def register(self, username: str, password: str = "correct-horse-1", *, admin: bool = False) -> dict:
        """Create a user through the API, log them in; returns {id, username, password, token}."""
        from accounts import services

        created = self.http.post("/api/v1/auth/register", json={"username": username, "password": password})
        assert created.status_code == 201, created.text
        user = created.json()
        if admin:
            services.user_set_role(user_id=user["id"], role=services.ROLE_ADMIN)
        login = self.http.post("/api/v1/auth/login", json={"username": username, "password": password})
        assert login.status_code == 200, login.text
        return {**user, "password": password, "token": login.json()["token"]}

    def bearer(self, user: dict) -> dict:
        return {"Authorization": f"Bearer {user['token']}"}


class Worker:
    """The Procfile's `worker:` line in its own process group."""

    def __init__(self) -> None:
        line = next(x for x in (ROOT / "Procfile").read_text().splitlines() if x.startswith("worker:"))
        args = shlex.split(line.removeprefix("worker:"))
        assert args[0] == "python"
        self.log = ROOT / ".data" / f"browser-worker-{os.getpid()}.log"
        self.log.parent.mkdir(exist_ok=True)
        with self.log.open("wb") as out:
            self.proc = subprocess.Popen(
                [sys.executable, *args[1:]], cwd=ROOT, env=process_env(PYTHONUNBUFFERED="1"),
                stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
            )

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)


@pytest.fixture
def site(web_server_factory, static_files) -> Site:
    """One Procfile web process on the test Redis."""
    return Site(web_server_factory())


@pytest.fixture
def worker():
    proc = Worker()
    yield proc
    proc.stop()


@pytest.fixture
def artifacts(request) -> Path:
    path = Path(tempfile.mkdtemp(prefix=f"qb-browser-{request.node.name[:40]}-"))
    return path


@pytest.fixture
def browser(request, artifacts):
    """A fresh headless Chromium; on failure its screenshot and console log are kept."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={artifacts / 'profile'}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    driver.set_page_load_timeout(30)
    yield driver
    failed = any(getattr(request.node, f"rep_{when}", None) and getattr(request.node, f"rep_{when}").failed
                 for when in ("setup", "call"))
    try:
        if failed:
            driver.save_screenshot(str(artifacts / "failure.png"))
            (artifacts / "page.html").write_text(driver.page_source)
            (artifacts / "console.log").write_text(
                "\n".join(json.dumps(entry) for entry in driver.get_log("browser"))
            )
            print(f"\nbrowser artifacts (screenshot, page, console log): {artifacts}")
    finally:
        driver.quit()
        if not failed:
            shutil.rmtree(artifacts, ignore_errors=True)


def wait_for(driver, predicate, what: str, timeout: float = WAIT):
    """Wait until `predicate(driver)` is truthy (Selenium's explicit wait), naming what failed."""
    from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
    from selenium.webdriver.support.ui import WebDriverWait

    # A page being replaced mid-check is no answer yet: look again.
    ignored = (NoSuchElementException, StaleElementReferenceException, ValueError, IndexError)
    wait = WebDriverWait(driver, timeout, poll_frequency=0.05, ignored_exceptions=ignored)
    return wait.until(predicate, message=f"waiting for {what}")


def shot(driver, name: str) -> None:
    """Keep a screenshot under $QB_SCREENSHOTS (for looking at the pages), when it is set."""
    folder = os.environ.get("QB_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        driver.save_screenshot(str(Path(folder) / f"{name}.png"))


def browser_login(driver, site: Site, user: dict, next_path: str = "/api/v1/") -> None:
    """Log in through /api-auth/login/ as a person would."""
    from selenium.webdriver.common.by import By

    driver.get(f"{site.url}/api-auth/login/?next={next_path}")
    driver.find_element(By.ID, "id_username").send_keys(user["username"])
    driver.find_element(By.ID, "id_password").send_keys(user["password"])
    driver.find_element(By.ID, "submit-id-submit").click()
    wait_for(driver, lambda d: "/api-auth/login/" not in d.current_url, "the login to redirect")


