"""Lua scripts as `.lua` files: read once per process, run with EVALSHA, or EVAL inside a pipeline."""
from __future__ import annotations

from pathlib import Path

import redis
from redis.commands.core import AsyncScript, Script

from config.redis.clients import async_redis_client, redis_client

_scripts: dict[str, str] = {}


def lua_source(path: Path) -> str:
    """Return the text of a `.lua` file, read once per process."""
    key = str(path)
    if key not in _scripts:
        _scripts[key] = path.read_text()
    return _scripts[key]


class LuaScript:
    """A `.lua` file run with EVALSHA (falling back to EVAL on NOSCRIPT), or EVAL in a pipeline.

    redis-py's `Script` binds to one client; this keeps one binding per process pool so a
    module can declare its scripts at import time. Inside a pipeline redis-py's `Script` adds
    a `SCRIPT EXISTS` round trip to every execute, so there we send the source with EVAL
    (Redis caches the compiled script by its SHA either way) and keep the pipeline one round trip.
    """

    def __init__(self, path: Path, *, library: Path | tuple[Path, ...] | None = None) -> None:
        self.path = path
        # `.lua` files of shared local functions sent ahead of the script's own text, so a rule
        # several scripts need is written once (Redis scripts cannot include one another).
        self.libraries: tuple[Path, ...] = library if isinstance(library, tuple) else (library,) if library else ()
        self._script: Script | None = None
        self._pool_id: int | None = None
        # The asyncio binding, built on first use (building one hashes the source). It is always
        # called with the running loop's client, so the client it was built with is moot.
        self._async_script: AsyncScript | None = None

    @property
    def source(self) -> str:
        return "\n".join(lua_source(path) for path in (*self.libraries, self.path))

    def _bound(self, client: redis.Redis) -> Script:
        pool_id = id(client.connection_pool)
        if self._script is None or self._pool_id != pool_id:
            self._script = client.register_script(self.source)
            self._pool_id = pool_id
        return self._script

    def __call__(self, *, keys: list[str], args: list, client=None):
        """Run the script now, or queue it on `client` when that is a pipeline."""
        if isinstance(client, redis.client.Pipeline):
            return client.eval(self.source, len(keys), *keys, *args)
        target = client if client is not None else redis_client()
        return self._bound(target)(keys=keys, args=args, client=target)

    async def run_async(self, *, keys: list[str], args: list):
        """Run the script on the running event loop's pool (EVALSHA, loading on NOSCRIPT)."""
        # A separate binding from the sync one, so threads and the loop never swap it under each other.
        client = async_redis_client()
        if self._async_script is None:
            self._async_script = client.register_script(self.source)
        return await self._async_script(keys=keys, args=args, client=client)
