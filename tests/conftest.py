"""Shared fixtures: a real Redis (tests.redis_server), flushed before every test."""
from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from config.redis.clients import redis_client, reset_clients


@pytest.fixture(autouse=True)
def _fast_hasher(settings):
    # PBKDF2 at production cost dominates a suite that logs in hundreds of times.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def store_reset(client) -> None:
    """Empty the test Redis as a deliberate, acknowledged reset (what `data_reset` does).

    So a server kept running across tests (tests/security) does not take the emptied store for a
    lost one; and this process starts with no memory of any epoch, as a new process would.
    """
    from config.redis.epoch import epoch_forget, epoch_write

    client.flushall()
    epoch_write(by="data_reset", client=client)
    epoch_forget()


@pytest.fixture(autouse=True)
def redis(settings):
    """The test Redis, empty at the start of every test."""
    reset_clients()
    client = redis_client()
    store_reset(client)
    yield client
    reset_clients()


def point_redis(settings, url: str) -> None:
    """Aim every Redis client of this process at `url`: the django-redis aliases and the asyncio one."""
    settings.REDIS_URL = url
    # A new CACHES makes Django drop its cache backends (its setting_changed handler).
    settings.CACHES = {alias: {**conf, "LOCATION": url} for alias, conf in settings.CACHES.items()}
    reset_clients()


def point_redis_away(settings) -> None:
    """Aim every Redis client at a closed port, as if Redis were unreachable."""
    from config.dev.embedded_redis import free_port

    point_redis(settings, f"redis://127.0.0.1:{free_port()}/0")


@pytest.fixture
def redis_down(settings):
    """Redis is unreachable for the whole test."""
    point_redis_away(settings)
    yield
    reset_clients()


@pytest.fixture
def api() -> APIClient:
    return APIClient()


@pytest.fixture
def make_user(api):
    """Register and log in a user; returns {id, username, password, token}."""

    def _make(username: str = "alice", password: str = "correct-horse-1") -> dict:
        resp = api.post("/api/v1/auth/register", {"username": username, "password": password}, format="json")
        assert resp.status_code == 201, resp.content
        login = api.post("/api/v1/auth/login", {"username": username, "password": password}, format="json")
        assert login.status_code == 200, login.content
        return {**resp.json(), "password": password, "token": login.json()["token"]}

    return _make


@pytest.fixture
def auth_client():
    """An APIClient carrying a user's bearer token."""

    def _client(token: str) -> APIClient:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
        return client

    return _client


class RoundTrips:
    """Counts Redis round trips (one per command or pipeline sent) made by this process."""

    def __init__(self) -> None:
        self.count = 0

    def reset(self) -> None:
        self.count = 0


@pytest.fixture
def roundtrips(monkeypatch) -> RoundTrips:
    """Count every packet batch written to any Redis connection, sync or asyncio: a pipeline is one trip."""
    import redis.asyncio.connection
    import redis.connection

    counter = RoundTrips()
    original = redis.connection.AbstractConnection.send_packed_command
    original_async = redis.asyncio.connection.AbstractConnection.send_packed_command

    def counting(self, command, check_health=True):
        counter.count += 1
        return original(self, command, check_health)

    async def counting_async(self, command, check_health=True):
        counter.count += 1
        return await original_async(self, command, check_health)

    monkeypatch.setattr(redis.connection.AbstractConnection, "send_packed_command", counting)
    monkeypatch.setattr(redis.asyncio.connection.AbstractConnection, "send_packed_command", counting_async)
    return counter


def _servers(server_class):
    """Yield a starter for `server_class` processes; every one started is stopped afterwards."""
    servers = []

    def _start(**env: str):
        server = server_class(env=env).start()
        servers.append(server)
        return server

    yield _start
    for server in servers:
        server.stop()


@pytest.fixture
def daphne_factory():
    """Start real daphne processes (HTTP + WebSockets) on free ports; env overrides per server."""
    from tests.processes import DaphneServer

    yield from _servers(DaphneServer)


@pytest.fixture
def daphne(daphne_factory):
    """One real daphne process on the test Redis."""
    return daphne_factory()


@pytest.fixture
def web_server_factory():
    """Start the Procfile's web server (what production runs) on free ports; env overrides per server."""
    from tests.processes import WebServer

    yield from _servers(WebServer)


@pytest.fixture
def web_server(web_server_factory):
    """One Procfile web process (WEB_CONCURRENCY=1) on the test Redis."""
    return web_server_factory()
