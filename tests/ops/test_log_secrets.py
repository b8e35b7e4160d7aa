"""No password, token or ticket in any line the Procfile's web server writes, its own lines included."""
from __future__ import annotations

import json
import urllib.error
import urllib.request

from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

PASSWORD = "log-check-password-1"


def _call(url: str, method: str = "GET", body: dict | None = None, token: str | None = None):
    request = urllib.request.Request(url, method=method, data=json.dumps(body).encode() if body else None,
                                     headers={"Content-Type": "application/json",
                                              **({"Authorization": f"Bearer {token}"} if token else {})})
    try:
        with urllib.request.urlopen(request, timeout=10) as resp:
            return resp.status, json.loads(resp.read() or b"null")
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def test_the_web_server_logs_no_credentials(web_server_factory):
    server = web_server_factory(LOG_LEVEL="DEBUG")
    base = f"{server.url}/api/v1"
    assert _call(f"{base}/auth/register", "POST", {"username": "logcheck", "password": PASSWORD})[0] == 201
    status, login = _call(f"{base}/auth/login", "POST", {"username": "logcheck", "password": PASSWORD})
    token = login["token"]
    assert _call(f"{base}/auth/login", "POST", {"username": "logcheck", "password": PASSWORD + "x"})[0] == 401
    assert _call(f"{base}/me", token=token)[0] == 200
    assert _call(f"{base}/me", token=token + "bad")[0] == 401
    tickets = [_call(f"{base}/auth/ws-ticket", "POST", token=token)[1]["ticket"] for _ in range(3)]
    with connect(f"{server.ws_url}/ws/leaderboard/?ticket={tickets[0]}"):
        pass  # accepted (the board sends on change only)
    with connect(f"{server.ws_url}/ws/me/?ticket={tickets[1]}&last_event_id=1-0"):
        pass
    try:  # used twice: refused
        with connect(f"{server.ws_url}/ws/leaderboard/?ticket={tickets[0]}") as ws:
            ws.recv(timeout=10)
    except ConnectionClosed:
        pass
    assert _call(f"{base}/auth/logout", "POST", token=token)[0] in (200, 204)
    server.stop()

    log = server.log.read_text(errors="replace")
    assert "WebSocket /ws/leaderboard/" in log  # the server's own lines are there, and checked
    for secret in (PASSWORD, token, *tickets):
        assert secret not in log, f"{secret[:6]}... appears in the web server's log"
