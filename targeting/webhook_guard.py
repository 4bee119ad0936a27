"""Outbound webhooks guarded like the crawler: no internal address unless an administrator allowed it.

Two checks, with the crawler's one guard (``crawlers.safety``):

- at subscription time, ``subscription_refusal`` refuses URLs whose host is or resolves to a loopback,
  private, link-local or metadata address (``POST /api/subscriptions`` answers 422 with the reason);
- at connection time, ``guarded_client`` resolves the host itself, checks every address with the
  port it is about to use, and connects to the checked address. A name that resolved to a public
  address at subscription time and to ``127.0.0.1`` now (DNS rebinding), or a subscription written to
  the file by hand, is refused before a byte is sent.

Allowed internal targets are exact ``HOST:PORT`` entries (``Settings.alert_webhook_allowed_targets``),
set by an administrator in the environment, never through the API. Redirects are not followed and
proxies from the environment are not used (either would connect somewhere unchecked).
"""

from __future__ import annotations

import socket
from collections.abc import Iterable
from typing import Any

import httpcore
import httpx

from crawlers.safety import Allowance, address_refusal, refusal_reason


class RefusedTarget(httpcore.ConnectError):
    """The connection would reach an internal address that is not allowed (httpx reports a ConnectError)."""


def subscription_refusal(url: str, allowed: tuple[Allowance, ...]) -> str | None:
    """Why ``url`` may not be a webhook target (a stable code), or None."""
    return refusal_reason(url, allowed)


class GuardedBackend(httpcore.NetworkBackend):
    """httpcore's synchronous backend, connecting only to addresses the guard admits."""

    def __init__(self, allowed: tuple[Allowance, ...], inner: httpcore.NetworkBackend | None = None) -> None:
        self.allowed = allowed
        self.inner = inner or httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError) as exc:
            raise httpcore.ConnectError(f"cannot resolve {host!r}: {exc}") from exc
        addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
        for address in addresses:
            reason = address_refusal(address, self.allowed, port)
            if reason is not None:
                raise RefusedTarget(f"refused {host}:{port}: {address} is an internal address ({reason})")
        # Connect to the address just checked, not to the name (which could resolve anew).
        return self.inner.connect_tcp(addresses[0], port, timeout=timeout, local_address=local_address,
                                      socket_options=socket_options)

    def connect_unix_socket(self, path: str, timeout: float | None = None,
                            socket_options: Iterable[Any] | None = None) -> httpcore.NetworkStream:
        raise RefusedTarget("webhooks do not connect to unix sockets")

    def sleep(self, seconds: float) -> None:
        self.inner.sleep(seconds)


def guarded_client(allowed: tuple[Allowance, ...], timeout: float) -> httpx.Client:
    """An ``httpx.Client`` for webhook deliveries whose every connection passes the guard."""
    transport = httpx.HTTPTransport(retries=0)
    # httpx builds its connection pool without a backend argument; the pool reads this attribute on
    # every new connection (tests/unit/test_webhook_guard.py proves a loopback target is refused).
    transport._pool._network_backend = GuardedBackend(allowed)
    return httpx.Client(transport=transport, timeout=timeout, follow_redirects=False, trust_env=False)
