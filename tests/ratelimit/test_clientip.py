"""Client address for per-IP limits: X-Forwarded-For is trusted only as far as the setting says."""
from __future__ import annotations

import pytest

from ratelimit.clientip import client_ip

PROXY = "10.0.0.1"


def meta(xff: str | None = None, remote: str = PROXY) -> dict:
    data = {"REMOTE_ADDR": remote}
    if xff is not None:
        data["HTTP_X_FORWARDED_FOR"] = xff
    return data


def test_without_trusted_proxies_the_header_is_ignored(settings):
    settings.RATELIMIT_TRUSTED_PROXY_HOPS = 0
    assert client_ip(meta("203.0.113.7")) == PROXY


@pytest.mark.parametrize(
    "hops, xff, expected",
    [
        (1, "203.0.113.7", "203.0.113.7"),
        (1, "6.6.6.6, 203.0.113.7", "203.0.113.7"),  # a forged entry left of ours is ignored
        (2, "6.6.6.6, 203.0.113.7, 10.0.0.2", "203.0.113.7"),
        (2, "203.0.113.7", "203.0.113.7"),  # fewer entries than hops: the leftmost
        (1, "203.0.113.7:51234", "203.0.113.7"),  # proxies that append the port
        (1, "[2001:db8::1]:443", "2001:db8::/64"),
    ],
)
def test_trusted_hops_pick_the_entry_our_proxy_appended(settings, hops, xff, expected):
    settings.RATELIMIT_TRUSTED_PROXY_HOPS = hops
    assert client_ip(meta(xff)) == expected


@pytest.mark.parametrize("xff", ["not-an-ip", "", " , "])
def test_a_garbage_header_falls_back_to_the_connection_address(settings, xff):
    settings.RATELIMIT_TRUSTED_PROXY_HOPS = 1
    assert client_ip(meta(xff)) == PROXY


def test_ipv6_clients_are_counted_per_64_network(settings):
    settings.RATELIMIT_TRUSTED_PROXY_HOPS = 0
    assert client_ip(meta(remote="2001:db8:1:2:aaaa::1")) == client_ip(meta(remote="2001:db8:1:2:bbbb::9"))
    assert client_ip(meta(remote="2001:db8:1:3::1")) == "2001:db8:1:3::/64"
    assert client_ip(meta(remote="::ffff:192.0.2.5")) == "192.0.2.5"


@pytest.mark.urls("tests.ratelimit.urls")
def test_clients_behind_one_trusted_proxy_get_their_own_budgets(api, settings, redis):
    settings.RATELIMIT_AUTH_IP_RATE = "2/m"

    def probe(client: str) -> int:
        return api.get("/probe/ip", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=client).status_code

    settings.RATELIMIT_TRUSTED_PROXY_HOPS = 1
    assert [probe("198.51.100.1") for _ in range(3)] == [200, 200, 429]
    assert probe("198.51.100.2") == 200
    assert probe("6.6.6.6, 198.51.100.1") == 429  # prepending a forged address does not help

    redis.flushall()
    settings.RATELIMIT_TRUSTED_PROXY_HOPS = 0  # header not trusted: everyone is the proxy
    assert [probe("198.51.100.1"), probe("198.51.100.2"), probe("198.51.100.3")] == [200, 200, 429]
