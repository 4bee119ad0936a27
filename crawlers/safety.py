"""Which targets Sekisho may contact: public addresses only, unless an exact ``host:port`` is allowed.

One guard for every outbound request: the crawler's (pages, redirects included) and the alert
webhooks' (``targeting.alerts``). A hostile page can link to ``http://169.254.169.254/`` (cloud
metadata), ``http://10.0.0.1/`` (the internal network) or ``http://localhost:9200/``; a hostile
subscriber can register such a URL as its webhook. Either turns Sekisho into a proxy into its own
network (SSRF). Internal addresses (private, loopback, link-local, multicast, reserved, unspecified)
are refused unless an administrator allowed that very address and port (``127.0.0.1:8651`` for the
local fixture site): an allowance never opens the other ports of the address (a redirect from the
fixture site to ``127.0.0.1:9250`` is refused).
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import SplitResult, urlsplit

ALLOWED_SCHEMES = ("http", "https")
DEFAULT_PORTS = {"http": 80, "https": 443}

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclass(frozen=True)
class Allowance:
    """One internal target an administrator allowed: an address (or network) and one port."""

    network: Network
    port: int

    def admits(self, ip: Address, port: int | None) -> bool:
        """``port=None`` asks about the address alone (a DNS answer, before the port is known)."""
        return ip in self.network and (port is None or port == self.port)

    def __str__(self) -> str:
        host = str(self.network.network_address) if self.network.num_addresses == 1 else str(self.network)
        return f"[{host}]:{self.port}" if self.network.version == 6 else f"{host}:{self.port}"


def parse_allowance(text: str) -> Allowance:
    """``HOST:PORT`` with HOST an IP address or network (IPv6 in brackets): ``127.0.0.1:8651``,
    ``[::1]:8080``, ``10.20.0.0/16:443``. A bare address (every port) is refused on purpose."""
    value = text.strip()
    if value.startswith("["):
        host, sep, port = value[1:].partition("]:")
    else:
        host, sep, port = value.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"not HOST:PORT (an IP address or network and one port): {text!r}")
    return Allowance(ipaddress.ip_network(host, strict=False), int(port))


def parse_allowances(entries: Iterable[str]) -> tuple[Allowance, ...]:
    return tuple(parse_allowance(entry) for entry in entries if entry.strip())


@lru_cache(maxsize=4096)
def _resolve(host: str) -> tuple[str, ...]:
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError):
        return ()
    return tuple(sorted({str(info[4][0]) for info in infos}))


def ip_of(text: str) -> Address:
    ip = ipaddress.ip_address(text.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ip


def is_ip_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]").split("%", 1)[0])
    except ValueError:
        return False
    return True


def _is_internal(ip: Address) -> bool:
    return bool(
        ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_multicast or ip.is_reserved or ip.is_unspecified
    )


def refusal_reason(url: str, allowed: tuple[Allowance, ...] = (), *, resolve: bool = True) -> str | None:
    """Why ``url`` must not be fetched (a stable code), or None when it may be."""
    parts = urlsplit(url)
    return netloc_refusal(parts.scheme, parts.netloc, allowed, resolve)


@lru_cache(maxsize=4096)
def netloc_refusal(scheme: str, netloc: str, allowed: tuple[Allowance, ...] = (), resolve: bool = True) -> str | None:
    """``refusal_reason`` for a URL already split (the crawler passes Scrapy's cached split of each request):
    the verdict depends on the scheme and the network location only, so a crawl of one site decides it once."""
    if scheme not in ALLOWED_SCHEMES:
        return "scheme.not_allowed"
    parts = SplitResult(scheme, netloc, "", "", "")
    host = (parts.hostname or "").rstrip(".")
    if not host:
        return "host.missing"
    if parts.username is not None or parts.password is not None:
        return "target.credentials"  # user:pass@ hides the real host from a reader of the URL
    try:
        port = parts.port or DEFAULT_PORTS.get(scheme)
    except ValueError:
        port = None
    if port is None:
        return "port.invalid"
    return _host_refusal(host, port, allowed, resolve)


@lru_cache(maxsize=4096)
def _host_refusal(host: str, port: int, allowed: tuple[Allowance, ...], resolve: bool) -> str | None:
    try:
        addresses: tuple[str, ...] = (str(ipaddress.ip_address(host)),)
    except ValueError:
        addresses = _resolve(host) if resolve else ()
        if not addresses:
            # Unresolvable names fail on their own; local-only names are refused without asking DNS.
            local = host == "localhost" or host.endswith((".localhost", ".local", ".internal"))
            return "target.private" if local else None
    for text in addresses:
        reason = address_refusal(text, allowed, port)
        if reason is not None:
            return reason
    return None


def address_refusal(text: str, allowed: tuple[Allowance, ...] = (), port: int | None = None) -> str | None:
    """Why a connection to the IP address ``text`` (on ``port``) must not be made, or None when it may.

    ``port=None`` asks about the address alone; the caller must then check the port itself.
    """
    ip = ip_of(text)
    if _is_internal(ip) and not any(allowance.admits(ip, port) for allowance in allowed):
        return "target.private"
    return None
