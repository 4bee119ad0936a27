"""The crawl reactor's DNS resolver: it refuses internal addresses, which closes the DNS-rebinding gap.

``TargetSafetyMiddleware`` checks each request's host before it is sent, with its own DNS lookup. The
connection then resolves the name again, and a hostile name server can answer with a public address
the first time and ``127.0.0.1`` or ``169.254.169.254`` the second (DNS rebinding). This resolver,
installed on the reactor every crawl runs in, checks the very address the connection will use.

The resolver does not see the port, so it lets an internal address through only when the crawl
asked for that address itself (an IP literal, which cannot rebind) and an allowance names it; the
middleware checks the exact ``host:port`` on the URL. A *name* that resolves to an internal address is
always refused. One reactor serves all crawls of a process, so the allowances it knows are the union
of the ``crawl_allowed_private_targets`` of the crawls run so far (none in production; the fixture site
and the tests allow only their own ``127.0.0.1:port``). The middleware still applies each crawl's own list.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from scrapy.resolver import CachingThreadedResolver
from twisted.internet import defer, error

from crawlers.safety import Allowance, address_refusal, is_ip_literal

DNS_CACHE_SIZE = 10_000
DNS_TIMEOUT_S = 60.0


class GuardedResolver(CachingThreadedResolver):
    """Scrapy's caching threaded resolver, failing lookups that land on internal addresses."""

    def __init__(self, reactor: Any, cache_size: int = DNS_CACHE_SIZE, timeout: float = DNS_TIMEOUT_S) -> None:
        super().__init__(reactor, cache_size, timeout)
        self.allowed: tuple[Allowance, ...] = ()

    def allow(self, allowances: Iterable[Allowance]) -> None:
        self.allowed = tuple(dict.fromkeys((*self.allowed, *allowances)))

    def getHostByName(self, name: str, timeout: Sequence[int] = ()) -> defer.Deferred[str]:
        resolved = super().getHostByName(name, timeout)
        resolved.addCallback(self._checked, name)
        return resolved

    def _checked(self, address: str, name: str) -> str:
        reason = address_refusal(address, self.allowed if is_ip_literal(name) else ())
        if reason is not None:
            raise error.DNSLookupError(f"{name} resolved to {address}, an internal address ({reason})")
        return address
