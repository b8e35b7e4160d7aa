"""A disposable PostgreSQL server for the archive tests (never the machine's own on 5432).

Loaded with `-p tests.postgres_server`. When the collected tests include any marked
`postgres`, it runs `initdb` and `pg_ctl` from the installed binaries (under
/usr/lib/postgresql/*/bin, else PATH) in a temp dir on a free port, and points Django's
`default` database at it; pytest-django then creates the test database on it. As root, the
server runs as the `postgres` user (PostgreSQL refuses to run as root). Without the binaries
those tests skip with how to install them; every other test runs, with no database at all.
Written here rather than taken from pytest-postgresql: it is the same initdb/pg_ctl sequence
(about 40 lines), needs no extra dependency, and handles the run-as-root case CI has.
"""
from __future__ import annotations

import atexit
import glob
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from config.dev.embedded_redis import free_port

INSTALL_HINT = "PostgreSQL server binaries not found: install them with `apt-get install -y postgresql`"


def pg_bin_dir() -> Path | None:
    """Return the folder holding initdb and pg_ctl, or None."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


class PostgresServer:
    """A postgres child process on a free port with its own data folder."""

    def __init__(self, bin_dir: Path) -> None:
        self.bin = bin_dir
        self.port = free_port()
        self.root = Path(tempfile.mkdtemp(prefix="qb-test-pg-"))
        self.data = self.root / "data"
        self._as_user: list[str] = []
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres")
            self._as_user = ["runuser", "-u", "postgres", "--"]

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str) -> None:
        subprocess.run([*self._as_user, *args], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def init(self) -> "PostgresServer":
        self._run(str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync")
        return self

    def start(self) -> "PostgresServer":
        # fsync off: a test database need not survive a machine crash, and it is much faster.
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off"
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-o", options, "-l", str(self.root / "pg.log"), "-w", "start")
        return self

    def stop(self, mode: str = "fast") -> None:
        subprocess.run(
            [*self._as_user, str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )

    def running(self) -> bool:
        status = subprocess.run([*self._as_user, str(self.bin / "pg_ctl"), "-D", str(self.data), "status"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return status.returncode == 0

    def destroy(self) -> None:
        self.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)


_server: PostgresServer | None = None


def postgres_server() -> PostgresServer | None:
    """The session's server, or None when the binaries are missing."""
    return _server


def pytest_configure(config) -> None:
    config.addinivalue_line("markers", "postgres: needs the disposable PostgreSQL server (skips without it)")


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(session, config, items) -> None:
    global _server
    if not any(item.get_closest_marker("postgres") for item in items):
        return
    bin_dir = pg_bin_dir()
    if bin_dir is None:
        for item in items:
            if item.get_closest_marker("postgres"):
                item.add_marker(pytest.mark.skip(reason=INSTALL_HINT))
        return
    import dj_database_url
    from django.conf import settings

    _server = PostgresServer(bin_dir).init().start()
    atexit.register(_server.destroy)
    settings.DATABASES["default"] = {
        **dj_database_url.parse(_server.url, conn_max_age=0),
        "OPTIONS": {"connect_timeout": 2},
    }
    _reload_connections()


def _reload_connections() -> None:
    """Make Django read DATABASES again (it was read, as empty, while the app loaded)."""
    from asgiref.local import Local
    from django.db import connections

    connections.__dict__.pop("settings", None)
    connections._settings = None
    connections._connections = Local(connections.thread_critical)


def pytest_unconfigure(config) -> None:
    if _server is not None:
        _server.destroy()
