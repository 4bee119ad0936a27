"""Target safety: private, loopback and link-local addresses are refused unless explicitly allowed."""

from __future__ import annotations

import pytest

from crawlers import safety
from crawlers.safety import parse_allowance, parse_allowances, refusal_reason


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/",
        "http://10.0.0.5/admin",
        "http://192.168.1.1/",
        "http://172.16.3.4/",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/",
        "http://[fe80::1]/",
        "http://0.0.0.0/",
        "http://[::ffff:10.0.0.1]/",
        "http://localhost:9200/",
        "http://printer.local/",
        "http://224.0.0.1/",
    ],
)
def test_internal_targets_are_refused(url: str) -> None:
    assert refusal_reason(url) == "target.private"


@pytest.mark.parametrize("url", ["http://8.8.8.8/", "https://93.184.216.34/page", "http://[2001:4860::8888]/"])
def test_public_addresses_pass(url: str) -> None:
    assert refusal_reason(url) is None


def test_schemes_and_hosts() -> None:
    assert refusal_reason("file:///etc/passwd") == "scheme.not_allowed"
    assert refusal_reason("ftp://8.8.8.8/x") == "scheme.not_allowed"
    assert refusal_reason("javascript:alert(1)") == "scheme.not_allowed"
    assert refusal_reason("http:///nohost") == "host.missing"


def test_allowing_one_target_does_not_open_the_others() -> None:
    fixture_only = parse_allowances(["127.0.0.1:8651"])
    assert refusal_reason("http://127.0.0.1:8651/news/", fixture_only) is None
    assert refusal_reason("http://127.0.0.2:8651/", fixture_only) == "target.private"
    assert refusal_reason("http://10.0.0.5/", fixture_only) == "target.private"
    assert refusal_reason("http://169.254.169.254/", fixture_only) == "target.private"


def test_an_allowance_opens_one_port_only() -> None:
    """Regression: a redirect from the fixture site (allowed as 127.0.0.1/32) reached Elasticsearch on :9250."""
    fixture_only = parse_allowances(["127.0.0.1:8651"])
    assert refusal_reason("http://127.0.0.1:9250/sekisho-api-audit/_close", fixture_only) == "target.private"
    assert refusal_reason("http://127.0.0.1/", fixture_only) == "target.private"  # port 80
    assert refusal_reason("https://127.0.0.1:8651/", fixture_only) is None
    ipv6 = parse_allowances(["[::1]:8080", "10.20.0.0/16:443"])
    assert refusal_reason("http://[::1]:8080/hook", ipv6) is None
    assert refusal_reason("http://[::1]:8081/hook", ipv6) == "target.private"
    assert refusal_reason("https://10.20.3.4/hook", ipv6) is None
    assert refusal_reason("http://10.20.3.4/hook", ipv6) == "target.private"


@pytest.mark.parametrize("text", ["127.0.0.1", "127.0.0.1/32", "[::1]", "127.0.0.1:0", "127.0.0.1:99999",
                                  "host.example:80", ":80"])
def test_an_allowance_names_an_address_and_one_port(text: str) -> None:
    with pytest.raises(ValueError):
        parse_allowance(text)


def test_credentials_and_bad_ports_in_urls_are_refused() -> None:
    assert refusal_reason("http://8.8.8.8@127.0.0.1:9250/") == "target.credentials"
    assert refusal_reason("http://8.8.8.8:99999/") == "port.invalid"


def test_names_are_checked_by_what_they_resolve_to(monkeypatch: pytest.MonkeyPatch) -> None:
    assert refusal_reason("http://LOCALHOST./", resolve=False) == "target.private"
    answers = {"intranet.example.com": ("10.1.2.3",), "news.example.com": ("93.184.216.34",)}
    monkeypatch.setattr(safety, "_resolve", lambda host: answers.get(host, ()))
    assert refusal_reason("http://intranet.example.com/") == "target.private"
    assert refusal_reason("http://news.example.com/") is None
    assert refusal_reason("http://unresolvable.example.com/") is None  # fails to download on its own
