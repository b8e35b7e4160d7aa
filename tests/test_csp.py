"""Every HTML page carries its Content-Security-Policy (config/http/csp.py) and JSON carries none;
tests/browser/test_csp.py uses the pages under it in Chromium."""
from __future__ import annotations

from importlib.metadata import version

import pytest
from django.test import Client
from packaging.specifiers import SpecifierSet
from packaging.version import Version

from config.http import csp

HTML = {"HTTP_ACCEPT": "text/html,application/xhtml+xml,*/*;q=0.8"}
# config/templates copies blocks of these libraries' templates (DRF's base.html style block and
# its optional_logout tag, drf-spectacular's Swagger UI and Redoc heads and bodies).
TEMPLATES_WRITTEN_AGAINST = {"djangorestframework": ">=3.16,<3.19", "drf-spectacular": ">=0.28,<0.31"}


@pytest.mark.parametrize("path, policy", [
    ("/api/v1/", csp.PAGES), ("/api/v1/me", csp.PAGES), ("/api/v1/quizzes", csp.PAGES),
    ("/api-auth/login/", csp.PAGES), ("/api/v1/docs/", csp.SWAGGER), ("/api/v1/redoc/", csp.REDOC),
    ("/live/", csp.STRICT),
])
def test_every_html_page_has_its_policy(path, policy):
    page = Client().get(path, **HTML)
    assert page["Content-Type"].startswith("text/html"), path
    assert page["Content-Security-Policy"] == policy


def test_no_policy_allows_inline_script_eval_or_another_origin():
    for policy in (csp.STRICT, csp.PAGES, csp.SWAGGER, csp.REDOC):
        directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
        assert directives["script-src"] == "'self'"
        assert directives["object-src"] == directives["base-uri"] == "'none'"
        assert directives["frame-ancestors"] == "'none'"
        assert "http" not in policy and "*" not in policy


def test_the_error_page_has_the_policy(redis):
    page = Client().get("/api/v1/health", HTTP_HOST="evil.example", **HTML)  # a Host not served: 400
    assert page.status_code == 400 and page["Content-Type"].startswith("text/html")
    assert page["Content-Security-Policy"] == csp.PAGES


def test_json_and_scripts_carry_no_policy(make_user, auth_client):
    user = make_user("alice")
    for path in ("/api/v1/me", "/api/v1/health", "/api/v1/quizzes", "/no/such/page"):
        answer = auth_client(user["token"]).get(path)
        assert answer["Content-Type"] == "application/json", path
        assert "Content-Security-Policy" not in answer, path
    # Swagger UI's init script is its own resource, so its page runs no inline script.
    script = Client().get("/api/v1/docs/?script=")
    assert script["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle" in script.content.decode()


@pytest.mark.parametrize("package, written_against", TEMPLATES_WRITTEN_AGAINST.items())
def test_the_copied_template_blocks_match_the_installed_library(package, written_against):
    installed = Version(version(package))
    assert installed in SpecifierSet(written_against), (
        f"{package} {installed} is outside {written_against}: compare config/templates/ with its templates "
        "(inline scripts or styles there would break the pages under config/http/csp.py), then widen the range "
        "here and in pyproject.toml"
    )
