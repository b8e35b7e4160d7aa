"""The web process serves the static files itself (WhiteNoise): with DEBUG from the apps, without
it the collected, compressed copies; nothing a page needs comes from elsewhere."""
from __future__ import annotations

import subprocess
import sys

import httpx
import pytest

from tests.processes import ROOT, process_env

PAGES_NEED = (
    "/static/rest_framework/css/bootstrap.min.css",
    "/static/rest_framework/js/jquery-3.7.1.min.js",
    "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js",
    "/static/drf_spectacular_sidecar/redoc/bundles/redoc.standalone.js",
    "/static/leaderboard/live.js",
    "/static/leaderboard/live.css",
)


@pytest.fixture(scope="module")
def collected() -> None:
    done = subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "--verbosity", "0"],
                          cwd=ROOT, env=process_env(), capture_output=True, timeout=120)
    assert done.returncode == 0, done.stderr.decode()[-2000:]


@pytest.mark.parametrize("debug", ["0", "1"])
def test_every_static_file_a_page_needs_is_served(web_server_factory, collected, debug):
    server = web_server_factory(DEBUG=debug)
    with httpx.Client(base_url=server.url, timeout=10) as http:
        for path in PAGES_NEED:
            resp = http.get(path, headers={"Accept-Encoding": "gzip"})
            assert resp.status_code == 200, path
            assert resp.content, path
        if debug == "0":  # the collected copies come pre-compressed
            assert http.get(PAGES_NEED[-2], headers={"Accept-Encoding": "gzip"}).headers["Content-Encoding"] == "gzip"
