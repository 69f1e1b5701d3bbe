"""The one answer to "who is the client?" for every rate limit and lock-out.

``X-Forwarded-For`` is written by whoever sends the request, so it is believed only when the request arrives
from a configured proxy (``TRUSTED_PROXIES``, a list of CIDRs; default: none, so ``REMOTE_ADDR`` is the client).
Each trusted proxy appends the address it saw to the right of the header; with ``TRUSTED_PROXY_HOPS`` proxies in
front of the application the client is the ``TRUSTED_PROXY_HOPS``-th entry from the right. Entries further left
were supplied by the client and are never read. See docs/security.md for nginx, load balancer and CDN setups.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache
from typing import Any

from django.conf import settings

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=8)
def _networks(cidrs: tuple[str, ...]) -> tuple[IPNetwork, ...]:
    return tuple(ipaddress.ip_network(cidr.strip(), strict=False) for cidr in cidrs if cidr.strip())


def _parse(address: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        parsed = ipaddress.ip_address(address.strip())
    except ValueError:
        return None
    # An IPv4 client reaching an IPv6 socket shows up as ::ffff:a.b.c.d; key on the IPv4 form.
    if isinstance(parsed, ipaddress.IPv6Address) and parsed.ipv4_mapped is not None:
        return parsed.ipv4_mapped
    return parsed


def from_trusted_proxy(request: Any) -> bool:
    """Whether the TCP peer of ``request`` is one of ``TRUSTED_PROXIES`` (whose headers are then believed)."""
    remote = _parse(str(request.META.get("REMOTE_ADDR") or ""))
    return remote is not None and any(remote in network for network in _networks(tuple(settings.TRUSTED_PROXIES)))


def client_ip(request: Any) -> str:
    """The client's address for ``request`` (a Django ``HttpRequest`` or a DRF ``Request``)."""
    meta = request.META
    remote_raw = str(meta.get("REMOTE_ADDR") or "")
    remote = _parse(remote_raw)
    if remote is None:
        return remote_raw or "unknown"
    networks = _networks(tuple(settings.TRUSTED_PROXIES))
    if not any(remote in network for network in networks):
        return str(remote)
    hops = max(int(settings.TRUSTED_PROXY_HOPS), 1)
    chain = [entry for entry in str(meta.get("HTTP_X_FORWARDED_FOR", "")).split(",") if entry.strip()]
    if len(chain) < hops:
        # Fewer entries than proxies: the request skipped a proxy or the header was stripped. The proxy's own
        # address is the only one known to be true (stricter limits, never a forged identity).
        return str(remote)
    candidate = _parse(chain[-hops])
    return str(candidate) if candidate is not None else str(remote)
