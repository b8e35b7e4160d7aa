"""The Redis clients from django-redis: replies per alias, the one retry, no retry of a timeout, fork."""
from __future__ import annotations

import os
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from redis.exceptions import TimeoutError as RedisTimeoutError
from django.core.cache import cache
from django_redis import get_redis_connection

from config.redis.clients import redis_client, reset_clients


@pytest.mark.parametrize("first", ["cache", "data"])
def test_the_cache_keeps_python_values_while_data_replies_are_text(redis, first):
    # Both aliases are on one REDIS_URL: whichever connects first must not set the other's replies.
    reset_clients()
    steps = {
        "cache": lambda: cache.set("profile", {"points": 3}, 30),
        "data": lambda: redis_client().set("qb:probe", "42"),
    }
    steps[first]()
    steps["data" if first == "cache" else "cache"]()
    assert cache.get("profile") == {"points": 3}
    assert redis_client().get("qb:probe") == "42"
    assert get_redis_connection("default").get("qb:probe") == b"42"


def test_a_connection_dropped_mid_command_is_retried_once_without_an_error(redis):
    client, other = redis_client(), get_redis_connection("default")
    own_id = client.client_id()

    def drop_it_while_blocked():
        # As a Redis restart or a proxy would: the server closes the connection mid-command.
        deadline = time.monotonic() + 10
        while not any(c["id"] == str(own_id) and c["cmd"] == "blpop" for c in other.client_list()):
            assert time.monotonic() < deadline
            time.sleep(0.005)
        other.client_kill_filter(_id=own_id)
        other.rpush("qb:probe", "x")

    with ThreadPoolExecutor(1) as pool:
        dropper = pool.submit(drop_it_while_blocked)
        assert client.blpop(["qb:probe"], timeout=0.9) == ("qb:probe", "x")
        dropper.result()
    assert client.client_id() != own_id


def test_a_timeout_is_not_retried(redis, roundtrips):
    redis_client().ping()
    get_redis_connection("default").client_pause(1500, all=True)
    roundtrips.reset()
    with pytest.raises(RedisTimeoutError):
        redis_client().get("qb:probe")
    assert roundtrips.count == 1  # one socket timeout, not two


def test_a_forked_child_gets_its_own_connection(redis):
    client = redis_client()
    parent_id = client.client_id()
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: answer with the id of the connection it was given, then leave
        try:
            os.write(write_end, str(redis_client().client_id()).encode())
        finally:
            os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end) as answer:
        child_id = int(answer.read() or 0)
    os.waitpid(pid, 0)
    assert child_id and child_id != parent_id
    assert client.client_id() == parent_id  # the parent's connection was left alone
    assert client.set("qb:probe", "after-fork") and client.get("qb:probe") == "after-fork"
