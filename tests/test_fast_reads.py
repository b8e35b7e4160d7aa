"""The fast reads (config/http/fastpath.py) answer exactly what the full Django stack answers.

Two real web servers (the Procfile's line) on the same Redis, one with FAST_READS on and one
with it off, get the same requests; status, headers and body must match. In-process tests then
check which requests the fast path answers itself and which it hands over, and its costs.
"""
from __future__ import annotations

import asyncio
import logging

import httpx
import pytest

from config.redis.clients import async_redis_client
from leaderboard.services import board_put

ME = "/api/v1/me"
BOARD = "/api/v1/leaderboard"
AXIOS_ACCEPT = "application/json, text/plain, */*"

# Requests the fast path answers itself: (path with query, extra headers). Each also goes
# through the full stack in the parity test, so "answered here" must mean "answered the same".
PLAIN = [
    (ME, {}),
    (ME, {"Accept": "application/json"}),
    (ME, {"Accept": AXIOS_ACCEPT}),
    (ME, {"Accept": None}),
    (ME + "?unused=1", {}),
    (ME, {"X-Forwarded-Proto": "https"}),
    (ME, {"Host": "localhost:8000"}),
    (BOARD, {}),
    (BOARD + "?limit=3", {}),
    (BOARD + "?limit=3&offset=1", {}),
    (BOARD + "?limit=%32", {}),
    (BOARD + "?limit=007", {}),
    (BOARD + "?limit=3", {"Content-Type": "application/json; charset=bz2"}),  # no body: no charset
    (BOARD + "?" + "&".join([f"x{i}" for i in range(99)] + ["limit=3"]), {}),  # 100 fields: allowed
    (BOARD + "?period=day", {}),
    (BOARD + "?period=week&limit=100", {}),
    (BOARD + "?offset=10000000", {}),
    (BOARD + "?limit=1", {"X-Forwarded-Proto": "https", "Accept": "*/*"}),
]

# Queries the full stack answers 400 `invalid` (issue 20): strict query integers, each parameter
# once, at most 100 parameters (on any path).
REFUSED_QUERIES = [
    BOARD + "?limit=5&limit=2",
    BOARD + "?limit=5&limit=5",
    BOARD + "?period=day&period=day",
    BOARD + "?offset=0.0",
    BOARD + "?limit=%201",
    BOARD + "?limit=1%20",
    BOARD + "?limit=+1",
    BOARD + "?limit=-0",
    BOARD + "?limit=1e1",
    BOARD + "?limit=%D9%A3",  # ARABIC-INDIC DIGIT THREE
    BOARD + "?limit=%EF%BC%93",  # FULLWIDTH DIGIT THREE
    BOARD + "?" + "&".join(["x"] * 100 + ["limit=3"]),  # 101 fields
    ME + "?" + "&".join(["x"] * 101),
]

# Requests the fast path must hand to the full stack (errors, other renderers, other methods).
HANDED_OVER = [
    (ME, {"Authorization": None}),
    (ME, {"Authorization": "Bearer"}),
    (ME, {"Authorization": "Bearer a b"}),
    (ME, {"Authorization": "Basic YWxpY2U6cHc="}),
    (ME, {"Authorization": "Bearer 0123456789abcdef.not-a-live-session-token"}),
    (ME, {"Accept": "text/html"}),
    (ME, {"Accept": "application/json; indent=4"}),
    (ME + "?format=json", {}),
    (ME + "?format=api", {}),
    (ME, {"Host": "evil.example"}),
    (ME + "/", {}),
    (BOARD + "?limit=0", {}),
    (BOARD + "?limit=101", {}),
    (BOARD + "?limit=abc", {}),
    (BOARD + "?period=", {}),
    (BOARD + "?period=year", {}),
    (BOARD + "?limit=%E2%82%AC", {}),
    (BOARD + "?offset=10000001", {}),
    (BOARD + "?limit=" + "1" * 600, {}),
    *[(target, {}) for target in REFUSED_QUERIES],
    (ME + "?unused=1&unused=2", {}),  # a repeat the view does not read: served, by the full stack
    # Past periods' boards (issue 25): answered by the full stack, 200, 404 past retention, 400.
    (BOARD + "?ago=0", {}),
    (BOARD + "?period=day&ago=0", {}),
    (BOARD + "?period=day&ago=1", {}),
    (BOARD + "?period=week&ago=8&limit=3", {}),
    (BOARD + "?period=day&ago=15", {}),
    (BOARD + "?period=week&ago=9", {}),
    (BOARD + "?period=all&ago=1", {}),
    (BOARD + "?ago=1", {}),
    (BOARD + "?period=day&ago=-1", {}),
    (BOARD + "?period=day&ago=", {}),
]

SKIP_HEADERS = {"date", "server"}


def _headers(token: str, extra: dict) -> dict:
    headers = {"Authorization": f"Bearer {token}", "Accept": "*/*"}
    headers.update(extra)
    return {k: v for k, v in headers.items() if v is not None}


def _send(base: str, method: str, target: str, headers: dict, body: bytes | None = None) -> httpx.Response:
    with httpx.Client(base_url=base, timeout=10) as client:
        for name in ("accept", "accept-encoding", "user-agent"):
            client.headers.pop(name, None)  # only what the case says
        return client.request(method, target, headers=headers, content=body)


def _comparable(resp: httpx.Response) -> tuple:
    headers = sorted((k, v) for k, v in resp.headers.multi_items() if k not in SKIP_HEADERS)
    if resp.headers.get("content-type", "").startswith("text/html"):
        # The browsable page carries a per-response CSRF token; compare its shape, not bytes.
        return resp.status_code, [(k, v) for k, v in headers if k not in ("content-length", "set-cookie", "vary")]
    return resp.status_code, headers, resp.content


def _seed_boards(redis, users: list[dict]) -> None:
    for period in ("all", "day", "week"):
        board_put(entries=[(u["id"], 10 * (i + 1)) for i, u in enumerate(users)], period=period)


@pytest.fixture
def servers(web_server_factory):
    # Production-like settings, with HSTS so the proxy-https cases show it.
    env = {"DEBUG": "0", "SECURE_HSTS_SECONDS": "3600", "TRUST_X_FORWARDED_PROTO": "1"}
    return web_server_factory(FAST_READS="1", **env), web_server_factory(FAST_READS="0", **env)


@pytest.fixture
def people(redis, make_user):
    users = [make_user(f"user{i}") for i in range(12)]
    _seed_boards(redis, users)
    return users


def test_fast_and_full_stack_answer_alike(servers, people, api):
    fast, full = servers
    token = people[3]["token"]
    logged_out = people[4]["token"]
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {logged_out}")
    assert api.post("/api/v1/auth/logout").status_code in (200, 204)

    cases = [("GET", target, _headers(token, extra), None) for target, extra in PLAIN + HANDED_OVER]
    bz2_json = _headers(token, {"Content-Type": "application/json; charset=bz2"})
    cases += [
        ("GET", ME, _headers(logged_out, {}), None),
        ("GET", ME, {"Authorization": f"bearer {token}", "Accept": "*/*"}, None),
        ("HEAD", ME, _headers(token, {}), None),
        ("OPTIONS", BOARD, _headers(token, {}), None),
        ("POST", ME, _headers(token, {}), None),
        ("GET", BOARD + "?limit=3", bz2_json, b"{}"),  # a body in a charset we refuse: 415
        ("GET", ME, _headers(token, {"Content-Encoding": "gzip"}), b"{}"),
        ("GET", ME, _headers(token, {"Content-Type": "application/json"}), b"{}"),
    ]
    mismatches = []
    for method, target, headers, body in cases:
        a, b = _send(fast.url, method, target, headers, body), _send(full.url, method, target, headers, body)
        if _comparable(a) != _comparable(b):
            mismatches.append((method, target, headers, _comparable(a), _comparable(b)))
    assert not mismatches, mismatches

    plain = _send(fast.url, "GET", BOARD + "?limit=3", _headers(token, {}))
    assert [e["username"] for e in plain.json()["entries"]] == ["user11", "user10", "user9"]
    assert plain.json()["period"] == {"name": "all", "starts_at": None, "ends_at": None}
    week = _send(fast.url, "GET", BOARD + "?period=week", _headers(token, {})).json()["period"]
    assert week["name"] == "week" and week["starts_at"] < week["ends_at"]
    past = {q: _send(fast.url, "GET", BOARD + q, _headers(token, {})) for q in
            ("?period=day&ago=15", "?period=week&ago=9", "?period=all&ago=1", "?period=day&ago=1")}
    assert [(r.status_code, r.json().get("error", {}).get("code")) for r in past.values()] == [
        (404, "not_found"), (404, "not_found"), (400, "invalid"), (200, None),
    ]
    refused = [_send(fast.url, "GET", target, _headers(token, {})) for target in REFUSED_QUERIES]
    assert {(r.status_code, r.json()["error"]["code"]) for r in refused} == {(400, "invalid")}
    bz2_body = _send(fast.url, "GET", BOARD, bz2_json, b"{}")
    assert (bz2_body.status_code, bz2_body.json()["error"]["code"]) == (415, "unsupported_media_type")
    secure = _send(fast.url, "GET", ME, _headers(token, {"X-Forwarded-Proto": "https"}))
    assert secure.headers["strict-transport-security"].startswith("max-age=3600")


def test_repeated_authorization_header_is_judged_by_the_full_stack(servers, people):
    fast, full = servers
    headers = [("Authorization", f"Bearer {people[0]['token']}"), ("Authorization", "Bearer nope")]
    answers = [httpx.get(s.url + ME, headers=headers, timeout=10) for s in (fast, full)]
    assert _comparable(answers[0]) == _comparable(answers[1])


# --- in process: what the fast path takes, and what it costs -----------------------------------


class Spy:
    """The fallback app: records what was handed over and answers 299 so it shows."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    async def __call__(self, scope, receive, send):
        self.calls.append(scope["path"])
        await send({"type": "http.response.start", "status": 299, "headers": []})
        await send({"type": "http.response.body", "body": b""})


def _scope(target: str, headers: dict, method: str = "GET") -> dict:
    path, _, query = target.partition("?")
    headers = {"Host": "testserver", **headers}
    return {
        "type": "http", "method": method, "path": path, "raw_path": path.encode(), "root_path": "",
        "query_string": query.encode(), "scheme": "http", "http_version": "1.1",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items() if v is not None],
    }


async def _acall(app, scope: dict) -> tuple[int, dict, bytes]:
    sent: list[dict] = []

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        sent.append(message)

    await app(scope, receive, send)
    start, body = sent
    return start["status"], {k.decode(): v.decode() for k, v in start["headers"]}, body["body"]


def _run(coro_fn):
    """Run a scenario on a fresh loop (as a server process has its own), closing its Redis pool."""

    async def scenario():
        try:
            return await coro_fn()
        finally:
            await async_redis_client().connection_pool.disconnect()

    return asyncio.run(scenario())


def _call(app, scope: dict) -> tuple[int, dict, bytes]:
    return _run(lambda: _acall(app, scope))


@pytest.fixture
def fast_app(redis):
    from config.http.fastpath import FastReads

    spy = Spy()
    return FastReads(spy), spy


@pytest.mark.parametrize("target,extra", PLAIN, ids=[f"{t} {e}" for t, e in PLAIN])
def test_plain_reads_are_answered_on_the_loop(fast_app, people, target, extra):
    app, spy = fast_app
    extra = {k: v for k, v in extra.items() if k != "Host"}
    status, headers, body = _call(app, _scope(target, _headers(people[0]["token"], extra)))
    assert (status, spy.calls) == (200, [])
    assert headers["content-type"] == "application/json" and int(headers["content-length"]) == len(body)


@pytest.mark.parametrize("target,extra", HANDED_OVER, ids=[f"{t} {e}" for t, e in HANDED_OVER])
def test_everything_else_goes_to_the_full_stack(fast_app, people, target, extra):
    app, spy = fast_app
    status, _, _ = _call(app, _scope(target, _headers(people[0]["token"], extra)))
    assert (status, spy.calls) == (299, [target.partition("?")[0]])


def test_other_methods_and_ssl_redirect_go_to_the_full_stack(fast_app, people, settings):
    app, spy = fast_app
    token = people[0]["token"]
    assert _call(app, _scope(ME, _headers(token, {}), method="HEAD"))[0] == 299
    assert _call(app, _scope(ME, _headers(token, {}), method="POST"))[0] == 299
    from config.http.fastpath import FastReads

    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    redirecting = FastReads(spy)
    assert _call(redirecting, _scope(ME, _headers(token, {})))[0] == 299
    assert _call(redirecting, _scope(ME, _headers(token, {"X-Forwarded-Proto": "https"})))[0] == 200


def test_fast_reads_cost_two_round_trips(fast_app, people, roundtrips):
    app, _ = fast_app
    token = people[0]["token"]

    async def scenario():
        counts = {}
        for target in (ME, BOARD + "?limit=10"):
            # The first request opens the loop's connection and loads the script, once per process.
            await _acall(app, _scope(target, _headers(token, {})))
            roundtrips.reset()
            assert (await _acall(app, _scope(target, _headers(token, {}))))[0] == 200
            counts[target] = roundtrips.count
        return counts

    # The session script, then one read (a pipeline for /me, a script for the board).
    assert _run(scenario) == {ME: 2, BOARD + "?limit=10": 2}


def test_fast_read_slides_the_session_and_logs_the_request(fast_app, people, redis, caplog):
    from accounts import keys as account_keys

    app, _ = fast_app
    user = people[0]
    session = account_keys.session(account_keys.session_id_for(user["token"]))
    redis.pexpire(session, 5_000)
    with caplog.at_level(logging.INFO, logger="quizboard.requests"):
        assert _call(app, _scope(ME, _headers(user["token"], {})))[0] == 200
    assert redis.pttl(session) > 60_000  # slid back to the idle timeout, as the full stack does
    lines = [r for r in caplog.records if r.name == "quizboard.requests"]
    assert [(r.method, r.path, r.status, r.user_id) for r in lines] == [("GET", ME, 200, user["id"])]


@pytest.mark.parametrize("target", [ME, BOARD])
def test_redis_unreachable_is_the_same_503_at_once(fast_app, people, settings, auth_client, target):
    from tests.conftest import point_redis_away

    app, spy = fast_app
    token = people[0]["token"]
    point_redis_away(settings)
    status, headers, body = _call(app, _scope(target, _headers(token, {})))
    assert spy.calls == []  # not handed over: that would cost a second timeout in a stall
    full = auth_client(token).get(target)
    assert (status, body) == (503, full.content)
    assert headers == {k.lower(): v for k, v in full.headers.items()}
    assert headers["retry-after"] == "1"


def test_a_bug_in_the_fast_path_hands_over_and_is_logged(fast_app, people, monkeypatch, caplog):
    from accounts import selectors

    async def broken(**kwargs):
        raise KeyError("username")

    monkeypatch.setattr(selectors, "user_profile_async", broken)
    app, spy = fast_app
    with caplog.at_level(logging.ERROR, logger="config.http.fastpath"):
        assert _call(app, _scope(ME, _headers(people[0]["token"], {})))[0] == 299
    assert any("fast read failed" in r.getMessage() for r in caplog.records)
