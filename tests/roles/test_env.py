"""The role URLs: plain Redis URLs, and the Sentinel form parsed once in config/env.py."""
from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from config.env import parse_redis_url


def test_a_plain_url_is_kept_as_it_is():
    address = parse_redis_url("redis://:secret@cache.internal:6380/2")
    assert not address.is_sentinel
    assert address.location == "redis://:secret@cache.internal:6380/2"


def test_a_sentinel_url_names_the_sentinels_master_db_and_password():
    address = parse_redis_url("redis+sentinel://:s%40cret@10.0.0.1:26379,10.0.0.2:26380,sentinel-3:26381/mymaster/3")
    assert address.is_sentinel
    assert address.sentinels == (("10.0.0.1", 26379), ("10.0.0.2", 26380), ("sentinel-3", 26381))
    assert (address.master_name, address.db, address.password) == ("mymaster", 3, "s@cret")
    # What redis-py's Sentinel pools are built from: the master name stands where a host would.
    assert address.location == "redis://:s%40cret@mymaster/3"


def test_the_db_defaults_to_zero_and_the_password_is_optional():
    address = parse_redis_url("redis+sentinel://127.0.0.1:26379/main")
    assert (address.master_name, address.db, address.password) == ("main", 0, None)


@pytest.mark.parametrize("url", [
    "redis+sentinel://127.0.0.1:26379",  # no master name
    "redis+sentinel:///mymaster/0",  # no sentinels
    "redis+sentinel://127.0.0.1/mymaster/0",  # no port
    "redis+sentinel://127.0.0.1:26379/mymaster/zero",  # db not a number
    "redis+sentinel://127.0.0.1:26379/mymaster/0/extra",
])
def test_a_malformed_sentinel_url_refuses_to_start_with_the_variable_named(url):
    with pytest.raises(ImproperlyConfigured, match="QUEUE_REDIS_URL"):
        parse_redis_url(url, name="QUEUE_REDIS_URL")


def test_every_role_defaults_to_redis_url(tmp_path):
    """A process started with REDIS_URL alone puts every role on it (no outbox relay needed)."""
    import json
    import subprocess
    import sys

    from tests.processes import ROOT, process_env

    env = process_env(REDIS_URL="redis://127.0.0.1:6399/4")
    for name in ("QUEUE_REDIS_URL", "CHANNELS_REDIS_URL", "CACHE_REDIS_URL"):
        env.pop(name, None)
    code = (
        "import django, json; django.setup(); from django.conf import settings as s;"
        "print(json.dumps({r: a.url for r, a in s.REDIS_ROLES.items()} | {'outbox': s.SUBMISSIONS_VIA_OUTBOX,"
        "'rq': s.RQ_QUEUES['scores']['URL'], 'cache': s.CACHES['default']['LOCATION'],"
        "'layer': s.CHANNEL_LAYERS['default']['CONFIG']['hosts'][0]['address']}))"
    )
    out = json.loads(subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True,
                                    text=True, check=True).stdout)
    assert out == {"data": "redis://127.0.0.1:6399/4", "queue": "redis://127.0.0.1:6399/4",
                   "channels": "redis://127.0.0.1:6399/4", "cache": "redis://127.0.0.1:6399/4",
                   "outbox": False, "rq": "redis://127.0.0.1:6399/4", "layer": "redis://127.0.0.1:6399/4"}


def test_sentinel_roles_are_handed_to_each_library_s_own_sentinel_support():
    import json
    import subprocess
    import sys

    from tests.processes import ROOT, process_env

    url = "redis+sentinel://:pw@127.0.0.1:26379,127.0.0.1:26380/qbmain/1"
    env = process_env(REDIS_URL="redis://127.0.0.1:6399/0", QUEUE_REDIS_URL=url, CHANNELS_REDIS_URL=url,
                      CACHE_REDIS_URL=url)
    code = (
        "import django, json; django.setup(); from django.conf import settings as s;"
        "c = s.CACHES['default']; h = s.CHANNEL_LAYERS['default']['CONFIG']['hosts'][0]; q = s.RQ_QUEUES['scores'];"
        "print(json.dumps({'cache': [c['LOCATION'], c['OPTIONS']['CONNECTION_FACTORY'], c['OPTIONS']['SENTINELS']],"
        "'channels': [h['master_name'], h['sentinels'], h['db'], h['password']],"
        "'rq': [q['MASTER_NAME'], q['SENTINELS'], q['DB'], q['PASSWORD']], 'outbox': s.SUBMISSIONS_VIA_OUTBOX}))"
    )
    out = json.loads(subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True,
                                    text=True, check=True).stdout)
    sentinels = [["127.0.0.1", 26379], ["127.0.0.1", 26380]]
    assert out == {
        "cache": ["redis://:pw@qbmain/1", "config.redis.clients.SentinelConnectionFactory", sentinels],
        "channels": ["qbmain", sentinels, 1, "pw"],
        "rq": ["qbmain", sentinels, 1, "pw"],
        "outbox": True,
    }
