"""The data store's epoch: a Redis that came back empty is noticed, refused for writes, and restored or acknowledged.

Each `epoch_forget()` plays a process started afresh (the memory of the epoch it saw is gone).
"""
from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from config.redis.epoch import LOST, OK, epoch_check, epoch_forget, epoch_read, epoch_write

CREDENTIALS = {"username": "alice", "password": "correct-horse-1"}


def _lost_health(api) -> dict:
    resp = api.get("/api/v1/health")
    assert resp.status_code == 503, resp.content
    error = resp.json()["error"]
    assert error["code"] == "service_unavailable"
    return error["details"]


def test_first_start_writes_the_marker_and_health_says_ok(api, redis):
    redis.flushall()  # not even the reset marker the fixture writes: a first start
    body = api.get("/api/v1/health").json()
    assert body["status"] == "ok" and body["data"] == "ok"
    marker = epoch_read()
    assert marker.by == "first_start" and marker.state == OK and len(marker.id) == 32


def test_a_flush_is_noticed_and_every_later_process_sees_it(api, redis, make_user):
    make_user()
    redis.flushall()
    details = _lost_health(api)
    assert details["data"] == "lost" and details["status"] == "lost" and details["redis"] == "ok"
    epoch_forget()  # a process started after the loss was noticed: the marker in Redis says so
    assert epoch_check() == LOST


def test_while_lost_register_and_login_answer_503_not_a_fresh_account(api, redis, make_user):
    make_user()
    redis.flushall()
    for path in ("/api/v1/auth/register", "/api/v1/auth/login"):
        resp = api.post(path, CREDENTIALS, format="json")
        assert resp.status_code == 503, (path, resp.content)
        assert resp.json()["error"]["details"] == {"data": "lost"}
    assert not redis.hgetall("qb:users:by-name")  # the name was not claimed anew
    with pytest.raises(CommandError, match="lost its data"):
        call_command("create_admin", "root", "--password", "correct-horse-1")


def test_a_first_start_epoch_over_a_remembered_one_is_a_loss(redis):
    assert epoch_check() == OK
    redis.flushall()
    epoch_forget()
    assert epoch_check() == OK  # a process with no memory writes a first-start epoch
    # ... which the processes that remembered the old one see through (simulated: remember it again).
    import config.redis.epoch as epoch_module

    epoch_module._seen = "0" * 32
    assert epoch_check() == LOST
    assert epoch_read().state == LOST


def test_data_reset_acknowledges_the_loss_and_health_returns_to_200(api, redis, make_user):
    make_user()
    redis.flushall()
    assert epoch_check() == LOST
    with pytest.raises(CommandError, match="--confirm"):
        call_command("data_reset")
    out = io.StringIO()
    call_command("data_reset", "--confirm", stdout=out)
    assert "loss acknowledged" in out.getvalue()
    assert api.get("/api/v1/health").status_code == 200
    assert api.post("/api/v1/auth/register", CREDENTIALS, format="json").status_code == 201
    call_command("data_reset", "--confirm", stdout=out)
    assert "nothing to do" in out.getvalue()


def test_without_postgresql_a_restart_after_the_loss_cannot_tell(redis):
    """The documented limit: with nothing that remembers running, an empty store is a first start."""
    assert epoch_check() == OK
    redis.flushall()
    epoch_forget()  # every process restarted before any noticed
    assert epoch_check() == OK


@pytest.mark.postgres
def test_with_postgresql_the_record_remembers_and_rebuild_redis_restores(api, redis, settings, transactional_db,
                                                                         make_user):
    settings.ARCHIVE_ENABLED = True
    make_user()
    first = epoch_read()
    redis.flushall()
    epoch_forget()  # even the whole stack restarted: PostgreSQL says the service has run before
    assert _lost_health(api)["data"] == "lost"
    call_command("rebuild_redis", stdout=io.StringIO())
    assert epoch_read().id == first.id and epoch_read().by == "rebuild_redis"
    assert api.get("/api/v1/health").status_code == 200
    with pytest.raises(CommandError, match="rebuild_redis"):
        call_command("data_reset", "--confirm")
    epoch_write(by="data_reset")  # and a reset's new epoch is what the record then holds
    epoch_forget()
    assert epoch_check() == OK
