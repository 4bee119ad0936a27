"""The crawl reactor's resolver refuses names that resolve to internal addresses (DNS rebinding)."""

from __future__ import annotations

from typing import Any

import pytest
from twisted.internet import error

from crawlers.resolver import GuardedResolver
from crawlers.runner import call_in_reactor, guarded_resolver
from crawlers.safety import address_refusal, parse_allowances


def _resolve(resolver: GuardedResolver, name: str) -> Any:
    return call_in_reactor(resolver.getHostByName, name)


def test_the_crawl_reactor_resolves_through_the_guard() -> None:
    from twisted.internet import reactor

    resolver = guarded_resolver()
    assert isinstance(resolver, GuardedResolver)
    assert reactor.resolver is resolver  # type: ignore[attr-defined]


def test_names_resolving_to_internal_addresses_are_refused_unless_allowed() -> None:
    from twisted.internet import reactor

    resolver = GuardedResolver(reactor)
    with pytest.raises(error.DNSLookupError, match=r"localhost resolved to 127\.0\.0\.1.*target\.private"):
        _resolve(resolver, "localhost")
    with pytest.raises(error.DNSLookupError):
        _resolve(resolver, "127.0.0.1")
    resolver.allow(parse_allowances(["127.0.0.1:8651"]))
    # the literal the crawl asked for passes (its port is checked on the URL); a name never rebinds into it
    assert _resolve(resolver, "127.0.0.1") == "127.0.0.1"
    with pytest.raises(error.DNSLookupError):
        _resolve(resolver, "localhost")


@pytest.mark.parametrize(("address", "refused"), [
    ("127.0.0.1", True), ("10.1.2.3", True), ("169.254.169.254", True), ("::ffff:192.168.0.1", True),
    ("fe80::1", True), ("0.0.0.0", True), ("93.184.216.34", False), ("2606:4700::6810:85e5", False),
])
def test_address_policy(address: str, refused: bool) -> None:
    assert (address_refusal(address) == "target.private") is refused
    assert address_refusal(address, parse_allowances(["0.0.0.0/0:80", "[::/0]:80"]), 80) is None
    assert (address_refusal(address, parse_allowances(["0.0.0.0/0:80", "[::/0]:80"]), 81) is not None) is refused
