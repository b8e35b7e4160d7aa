"""The environment `make run` records: loaded only where nothing is set, and never a foreign Redis."""
from __future__ import annotations

import io
import os
from pathlib import Path

import pytest

from config.dev.devenv import RUN_ID, ForeignRedis, dev_env_load, dev_env_write


@pytest.fixture
def recorded(tmp_path, redis):
    """Record the test Redis as if `make run` had started it, with its real run id."""
    key_file = tmp_path / "secret_key"
    key_file.write_text("k" * 48)
    path = tmp_path / "dev.env"

    def _record(run_id: str | None = None) -> Path:
        values = {"REDIS_URL": os.environ["REDIS_URL"], "DEBUG": "1", "SECRET_KEY_FILE": str(key_file)}
        values[RUN_ID] = run_id or redis.info("server")["run_id"]
        dev_env_write(values, path)
        return path

    return _record


def test_an_unset_environment_takes_the_recorded_one_and_says_which_redis_once(recorded):
    path, environ, said = recorded(), {}, io.StringIO()
    assert dev_env_load(environ, said, path)
    assert environ["REDIS_URL"] == os.environ["REDIS_URL"] and environ["DEBUG"] == "1"
    assert environ["SECRET_KEY"] == "k" * 48
    assert said.getvalue().count(f"using Redis {os.environ['REDIS_URL']}") == 1
    child = {k: v for k, v in environ.items() if k != "REDIS_URL"}  # a child process inherits the rest
    dev_env_load(child, said, path)
    assert said.getvalue().count("using Redis") == 1


def test_an_explicit_redis_url_means_nothing_recorded_is_used(recorded):
    path, said = recorded(), io.StringIO()
    environ = {"REDIS_URL": "redis://db.internal:6379/0"}
    assert not dev_env_load(environ, said, path)
    assert environ == {"REDIS_URL": "redis://db.internal:6379/0"} and said.getvalue() == ""


def test_nothing_recorded_changes_nothing(tmp_path):
    environ, said = {}, io.StringIO()
    assert not dev_env_load(environ, said, tmp_path / "dev.env")
    assert environ == {} and said.getvalue() == ""


def test_another_server_on_the_recorded_port_is_refused(recorded):
    path, environ = recorded(run_id="0" * 40), {}
    with pytest.raises(ForeignRedis, match="another Redis"):
        dev_env_load(environ, io.StringIO(), path)
    assert "REDIS_URL" not in environ
