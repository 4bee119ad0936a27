"""Which targets a crawler may contact: public addresses only, unless explicitly allowed.

A hostile page can link to ``http://169.254.169.254/`` (cloud metadata), ``http://10.0.0.1/`` (the
internal network) or ``http://localhost:9200/``; following such links turns the crawler into a proxy
into our own network (SSRF). Every request, including redirects, is checked here.
"""

from __future__ import annotations

import ipaddress
import socket
from functools import lru_cache
from urllib.parse import urlsplit

ALLOWED_SCHEMES = ("http", "https")


@lru_cache(maxsize=4096)
def _resolve(host: str) -> tuple[str, ...]:
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError):
        return ()
    return tuple(sorted({str(info[4][0]) for info in infos}))


def _is_internal(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return bool(
        ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_multicast or ip.is_reserved
        or ip.is_unspecified
    )


def refusal_reason(url: str, *, allow_private: bool, resolve: bool = True) -> str | None:
    """Why ``url`` must not be fetched (a stable code), or None when it may be."""
    parts = urlsplit(url)
    if parts.scheme not in ALLOWED_SCHEMES:
        return "scheme.not_allowed"
    host = parts.hostname
    if not host:
        return "host.missing"
    if allow_private:
        return None
    try:
        addresses: tuple[str, ...] = (str(ipaddress.ip_address(host)),)
    except ValueError:
        if host == "localhost" or host.endswith((".localhost", ".local", ".internal")):
            return "target.private"
        if not resolve:
            return None
        addresses = _resolve(host)
        if not addresses:
            return None  # unresolvable: the download fails on its own, nothing internal is reached
    if any(_is_internal(address) for address in addresses):
        return "target.private"
    return None
