"""Which targets a crawler may contact: public addresses only, unless a network is explicitly allowed.

A hostile page can link to ``http://169.254.169.254/`` (cloud metadata), ``http://10.0.0.1/`` (the
internal network) or ``http://localhost:9200/``; following such links turns the crawler into a proxy
into our own network (SSRF). Every request, redirects included, is checked here. The local fixture
site and the tests allow just their own network (e.g. ``127.0.0.1/32``), so a link from it to any
other internal address is still refused.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable
from functools import lru_cache
from urllib.parse import urlsplit

ALLOWED_SCHEMES = ("http", "https")

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(cidrs: Iterable[str]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(cidr.strip(), strict=False) for cidr in cidrs if cidr.strip())


@lru_cache(maxsize=4096)
def _resolve(host: str) -> tuple[str, ...]:
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError):
        return ()
    return tuple(sorted({str(info[4][0]) for info in infos}))


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    ip = ipaddress.ip_address(text.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ip


def _is_internal(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    return bool(
        ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_multicast or ip.is_reserved or ip.is_unspecified
    )


def refusal_reason(url: str, allowed_networks: tuple[Network, ...] = (), *, resolve: bool = True) -> str | None:
    """Why ``url`` must not be fetched (a stable code), or None when it may be."""
    parts = urlsplit(url)
    if parts.scheme not in ALLOWED_SCHEMES:
        return "scheme.not_allowed"
    host = (parts.hostname or "").rstrip(".")
    if not host:
        return "host.missing"
    return _host_refusal(host, allowed_networks, resolve)


@lru_cache(maxsize=4096)
def _host_refusal(host: str, allowed_networks: tuple[Network, ...], resolve: bool) -> str | None:
    try:
        addresses: tuple[str, ...] = (str(ipaddress.ip_address(host)),)
    except ValueError:
        addresses = _resolve(host) if resolve else ()
        if not addresses:
            # Unresolvable names fail on their own; local-only names are refused without asking DNS.
            local = host == "localhost" or host.endswith((".localhost", ".local", ".internal"))
            return "target.private" if local and not allowed_networks else None
    for text in addresses:
        reason = address_refusal(text, allowed_networks)
        if reason is not None:
            return reason
    return None


def address_refusal(text: str, allowed_networks: tuple[Network, ...] = ()) -> str | None:
    """Why a connection to the IP address ``text`` must not be made, or None when it may."""
    ip = _address(text)
    if _is_internal(ip) and not any(ip in network for network in allowed_networks):
        return "target.private"
    return None
