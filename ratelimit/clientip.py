"""The client address a per-IP limit counts: REMOTE_ADDR, or a trusted proxy's X-Forwarded-For entry.

X-Forwarded-For is client-writable: only entries appended by our own proxies can be trusted.
With RATELIMIT_TRUSTED_PROXY_HOPS = N, the N-th entry from the right is the address the
outermost trusted proxy saw; everything left of it may be forged and is ignored.
"""
from __future__ import annotations

import ipaddress

from django.conf import settings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# One IPv6 host usually owns a whole /64, so counting single v6 addresses would let a client
# rotate through 2**64 identities; the /64 is the smallest unit an address really names.
IPV6_PREFIX = 64


def parse_ip(text: str) -> IPAddress | None:
    """Parse an address as proxies write it ("1.2.3.4", "1.2.3.4:80", "[::1]:80"); None if invalid."""
    text = text.strip()
    if text.startswith("[") and "]" in text:
        text = text[1 : text.index("]")]
    elif text.count(":") == 1:
        text = text.split(":", 1)[0]
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def ip_bucket(ip: IPAddress) -> str:
    """The identity a per-IP limit counts: the IPv4 address, or the IPv6 /64 network."""
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/{IPV6_PREFIX}", strict=False))
    return str(ip)


def client_ip(meta: dict) -> str:
    """Return the rate-limit identity of a request's client, from its WSGI/ASGI META."""
    hops = settings.RATELIMIT_TRUSTED_PROXY_HOPS
    if hops > 0:
        forwarded = [p for p in meta.get("HTTP_X_FORWARDED_FOR", "").split(",") if p.strip()]
        if forwarded:
            # Fewer entries than hops means a proxy did not append: take the leftmost (as DRF does).
            ip = parse_ip(forwarded[-min(hops, len(forwarded))])
            if ip is not None:
                return ip_bucket(ip)
    remote = meta.get("REMOTE_ADDR") or ""
    ip = parse_ip(remote)
    return ip_bucket(ip) if ip is not None else (remote or "unknown")
