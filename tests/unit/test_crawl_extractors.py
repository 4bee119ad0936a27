"""Extraction: pure functions from a fetched page to a CrawledPage record."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from crawlers.canonical import canonical_url, content_hash
from crawlers.extractors import FetchedPage, extract_record
from crawlers.extractors.contacts import find_emails, find_phones
from crawlers.extractors.language import guess_language
from crawlers.extractors.listing import country_code, parse_price
from crawlers.fixture_site.site import build_site
from crawlers.sources import load_sources
from feeds import MessageContext, parse_message
from schemas.records import CrawledPage, make_id
from sekisho.settings import get_settings

BASE = "http://127.0.0.1:8651"
NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
DATA = get_settings().data_dir
SITE = build_site(DATA / "planted" / "world.yaml", DATA / "watchlists")
SOURCES = load_sources(BASE)
WORLD = yaml.safe_load((DATA / "planted" / "world.yaml").read_text())


def fetched(path: str) -> FetchedPage:
    page = SITE.get(path)
    assert page is not None, path
    text = page.body.decode("utf-8") if "html" in page.content_type else None
    return FetchedPage(
        url=BASE + path,
        status=200,
        body=page.body,
        fetched_at=NOW,
        content_type=page.content_type,
        text=text,
        etag=page.etag,
    )


def test_planted_marketplace_listing() -> None:
    record = extract_record(SOURCES["fixture-market"], fetched("/market/listing/1001.html"))
    market = WORLD["web"]["marketplace"]
    volkov = next(p for p in WORLD["people"] if p["key"] == "p-volkov")
    assert record.kind == "listing"
    assert record.title == market["title"]
    assert (record.price, record.price_currency) == (float(market["price"]), market["currency"])
    assert record.seller == market["seller"]
    assert record.ship_from == market["ship_from"]
    # The phone on the listing is the traveller's phone: the join the demo shows.
    assert volkov["phone"] in record.phones
    assert "orders@pacificrim-precision-example.jp" in record.emails
    assert record.image_urls == [
        f"{BASE}/market/img/1001-spindle.jpg",
        f"{BASE}/market/img/1001-controller.jpg",
    ]
    assert record.id == make_id("crawled_page", record.canonical_url)
    assert record.source_name == "fixture-market"
    assert "document.write" not in (record.text or "")  # scripts are neither run nor kept


def test_planted_news_article() -> None:
    record = extract_record(SOURCES["fixture-news"], fetched("/news/2026/customs-seize-machine-tools.html"))
    assert record.kind == "article"
    assert record.title == WORLD["web"]["news"]["title"]
    assert record.language == "en"
    assert record.published_at == datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
    text = record.text or ""
    for name in ("PACIFIC RIM PRECISION MACHINERY LTD", "GOLDEN DRAGON TRADING CO LTD", "160-12345675"):
        assert name in text
    assert "Fixture site for Sekisho" not in text  # boilerplate (footer) removed by main-text extraction
    assert record.content_hash == content_hash(record.title, record.text)


def test_watchlist_file_record_hashes_exact_bytes() -> None:
    page = fetched("/lists/sdn.csv")
    record = extract_record(SOURCES["fixture-watchlists"], page, list_name="OFAC SDN")
    assert record.kind == "watchlist"
    assert record.list_name == "OFAC SDN"
    assert record.content_hash == hashlib.sha256((DATA / "watchlists" / "sdn.csv").read_bytes()).hexdigest()
    assert record.text is None  # the record never carries list content


def test_records_round_trip_through_the_stream_parser() -> None:
    """The raw topic carries canonical JSON; the stream job's parser must rebuild the same record."""
    record = extract_record(SOURCES["fixture-market"], fetched("/market/listing/1001.html"))
    payload = record.model_dump_json(exclude_none=True).encode()
    parsed = parse_message(payload, MessageContext(source="crawl:fixture-market"))
    assert parsed == [record]
    assert isinstance(parsed[0], CrawledPage)


def test_non_utf8_and_malformed_pages() -> None:
    latin = SITE.get("/edge/latin1.html")
    assert latin is not None
    page = FetchedPage(
        url=BASE + "/edge/latin1.html",
        status=200,
        body=latin.body,
        fetched_at=NOW,
        text=latin.body.decode("iso-8859-1"),
    )
    record = extract_record(SOURCES["fixture-news"], page)
    assert record.title == "Saisie à l'aéroport"
    assert record.language == "fr"
    broken = fetched("/edge/malformed.html")
    record = extract_record(SOURCES["fixture-news"], broken)
    assert "still readable text" in (record.text or "")


def test_empty_page_still_becomes_a_record() -> None:
    page = FetchedPage(url=BASE + "/news/empty.html", status=200, body=b"", fetched_at=NOW, text="")
    record = extract_record(SOURCES["fixture-news"], page)
    assert record.text is None and record.title is None and record.content_hash


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("USD 4,200.00", (4200.0, "USD")),
        ("4200", (4200.0, None)),
        ("$1,250", (1250.0, "USD")),
        ("€ 1.234,50", (1234.5, "EUR")),
        ("HK$ 99.90", (99.9, "HKD")),
        ("1 250,00 EUR", (1250.0, "EUR")),
        ("¥120,000", (120000.0, "JPY")),
        ("call for price", (None, None)),
        ("", (None, None)),
    ],
)
def test_prices(text: str, expected: tuple[float | None, str | None]) -> None:
    assert parse_price(text) == expected


@given(st.integers(min_value=0, max_value=10**9), st.sampled_from(["USD", "EUR", "GBP", "JPY"]))
def test_formatted_prices_parse_back(amount: int, currency: str) -> None:
    assert parse_price(f"{currency} {amount:,}.00") == (float(amount), currency)


@given(st.text(max_size=200))
def test_price_parsing_never_crashes(text: str) -> None:
    amount, currency = parse_price(text)
    assert amount is None or amount >= 0
    assert currency is None or len(currency) == 3


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Ships from: HK", "HK"),
        ("Hong Kong", "HK"),
        ("Ships from: Germany", "DE"),
        ("china", "CN"),
        ("Atlantis", None),
        ("", None),
        ("ZZ", None),
    ],
)
def test_ship_from_countries(text: str, code: str | None) -> None:
    assert country_code(text) == code


def test_contacts() -> None:
    text = "WhatsApp +852 9123 4567 or +852-9123-4567, mail Orders@PacificRim-Example.jp. Not a phone: 12345."
    assert find_phones(text) == ["+85291234567"]
    assert find_emails(text) == ["orders@pacificrim-example.jp"]
    assert find_phones("call 030 901820", "DE") == ["+4930901820"]


@pytest.mark.parametrize(
    ("text", "declared", "lang"),
    [
        ("The customs officers seized the goods at the port and the airport.", None, "en"),
        ("Les douaniers ont saisi des pièces pour la Corée dans le port et sur les quais.", None, "fr"),
        ("Der Zoll hat die Ware im Hafen beschlagnahmt und die Sendung ist nicht freigegeben.", None, "de"),
        ("税関は工作機械を押収した", None, "ja"),
        ("anything", "pt-BR", "pt"),
        ("too short", None, None),
    ],
)
def test_language(text: str, declared: str | None, lang: str | None) -> None:
    assert guess_language(text, declared) == lang


def test_canonical_urls() -> None:
    assert canonical_url("HTTP://Example.COM:80/a/../b?z=1&a=2#frag") == canonical_url("http://example.com/b?a=2&z=1")
    assert canonical_url("http://h/p?utm_source=x&id=3&fbclid=y") == "http://h/p?id=3"
    assert canonical_url("http://h/p?utm_campaign=x") == "http://h/p"


@given(
    st.sampled_from(["http://h", "https://Example.org:443"]),
    st.lists(st.text(min_size=1, max_size=8), max_size=3),
    st.dictionaries(st.sampled_from(["a", "b", "utm_source", "q"]), st.text(max_size=5), max_size=3),
)
def test_canonicalisation_is_idempotent(base: str, segments: list[str], query: dict[str, str]) -> None:
    from urllib.parse import quote, urlencode

    url = base + "/" + "/".join(quote(s, safe="") for s in segments) + ("?" + urlencode(query) if query else "")
    once = canonical_url(url)
    assert canonical_url(once) == once


def test_content_hash_ignores_whitespace_reflow_but_not_words() -> None:
    assert content_hash("a  b\n c", None) == content_hash("a b c", None)
    assert content_hash("a b c", None) != content_hash("a b d", None)
    assert content_hash("ab", "c") != content_hash("a", "bc")  # parts are length-delimited


@given(
    st.sampled_from(["http", "https", "HTTP"]),
    st.sampled_from(["h", "Example.org", "127.0.0.1", "a-b.c"]),
    st.sampled_from(["", ":80", ":443", ":8080", ":8651"]),
    st.lists(st.text(alphabet="aZ09-._~!$'()*+,;=:@% /é", max_size=6), max_size=4),
    st.sampled_from(["", "/", "?b=2&a=1", "#frag"]),
)
def test_the_canonical_fast_path_agrees_with_w3lib(
    scheme: str, host: str, port: str, segments: list[str], tail: str
) -> None:
    from crawlers.canonical import canonical_url_slow

    url = f"{scheme}://{host}{port}/" + "/".join(segments) + tail
    assert canonical_url(url) == canonical_url_slow(url)
