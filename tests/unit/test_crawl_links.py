"""Links found in the record stage: the same URLs as Scrapy's LinkExtractor, the source's follow rules, each
canonical URL once per crawl; and a crawl of the generated tree that follows them to the source's depth."""

from __future__ import annotations

import html
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scrapy.http import HtmlResponse, JsonResponse, Response, TextResponse, XmlResponse
from scrapy.linkextractors import LinkExtractor

from crawlers.emitter import Emission, RecordStage
from crawlers.extractors import FetchedPage
from crawlers.fixture_site import FixtureServer
from crawlers.frontier import InMemoryFrontier
from crawlers.links import URL_LENGTH_LIMIT, FollowLink, LinkFinder, decoded, markup_of, page_links, referer_for
from crawlers.runner import run_crawl
from crawlers.sinks import CollectingSink
from crawlers.sources import SourceDefinition, source_from_mapping
from schemas.records import CrawledPage
from sekisho.settings import get_settings

SCRAPY_LINKS = LinkExtractor(unique=False, canonicalize=False, deny_extensions=[])


def scrapy_links(response: TextResponse) -> list[str]:
    return [link.url for link in SCRAPY_LINKS.extract_links(response)]


def html_response(body: str, url: str = "http://shop.test/a/b/page.html", charset: str = "utf-8") -> HtmlResponse:
    headers = {"Content-Type": f"text/html; charset={charset}"}
    return HtmlResponse(url=url, body=body.encode(charset, "xmlcharrefreplace"), headers=headers)


DOCUMENTS = [
    '<a href="c.html">c</a><a href="/root.html">r</a><a href="../up.html">u</a><a href="./same.html">s</a>',
    '<a href="  spaced.html\n">s</a><a href="">empty</a><a>none</a><area href="map.html">',
    '<a href="http://Other.TEST:80/X?b=2&a=1#frag">x</a><a href="https://shop.test:443/">s</a>',
    '<a href="javascript:void(0)">j</a><a href="mailto:a@b.test">m</a><a href="ftp://files.test/f">f</a>',
    '<a href="file:///etc/passwd">f</a><a href="data:text/html,hi">d</a><a href="//cdn.test/p.html">p</a>',
    '<a href="caf\u00e9.html">e</a><a href="\u00fcber?q=\u00e4">u</a><a href="a b.html">sp</a><a href="%7Euser/">t</a>',
    '<a href="http://\u0431\u0443\u0445.test/">idn</a><a href="http://[::1]:9250/">v6</a><a href="http://h:99999/">p</a>',
    '<head><base href="http://base.test/dir/"></head><a href="rel.html">r</a><a href="/abs.html">a</a>',
    '<head><base href="HTTP://u:p@Base.test:8080?x=1#f"></head><a href="/r.html">r</a><a href="/a\\b">b</a>',
    '<head><base href="mailto:x@y.test"></head><a href="/r.html">r</a><a href="http://h.test/x">x</a>',
    '<a href="?page=2">q</a><a href="#top">f</a><a href="/a/./b/../c.html">dots</a><a href="/p;params">p</a>',
    '<img src="i.jpg"><link href="style.css"><script src="s.js"></script><a href="ok.html" rel="nofollow">n</a>',
]


@pytest.mark.parametrize("body", DOCUMENTS)
@pytest.mark.parametrize("charset", ["utf-8", "cp1252"])
def test_the_links_are_those_scrapys_link_extractor_finds(body: str, charset: str) -> None:
    response = html_response(f"<html><body>{body}</body></html>", charset=charset)
    assert list(page_links(response)) == scrapy_links(response)


_HREF_PARTS = st.sampled_from(
    [
        "a",
        "b.html",
        "/",
        "//",
        "../",
        "./",
        "?",
        "&",
        "=",
        "#",
        "%",
        "%20",
        " ",
        ":",
        "@",
        "~",
        "\u00e9",
        "\u4e2d",
        "http://h.test/",
        "https://H.test:8443/",
        "X",
        "'",
        "(",
        ";",
        "\t",
        "javascript:",
        "http:",
        "\\",
        ".",
    ]
)


@given(st.lists(st.lists(_HREF_PARTS, max_size=6).map("".join), max_size=6))
@settings(max_examples=200, deadline=None)
def test_any_hrefs_give_the_link_extractors_urls(hrefs: list[str]) -> None:
    body = "".join(f'<a href="{html.escape(href, quote=True)}">x</a>' for href in hrefs)
    response = html_response(f"<html><body>{body}</body></html>")
    assert list(page_links(response)) == scrapy_links(response)


def test_xhtml_links_in_an_xml_response() -> None:
    body = b'<html xmlns="http://www.w3.org/1999/xhtml"><body><a href="x.html">x</a></body></html>'
    response = XmlResponse(url="http://shop.test/feed.xml", body=body)
    assert list(page_links(response)) == scrapy_links(response) == ["http://shop.test/x.html"]


SOURCE: SourceDefinition = source_from_mapping(
    {
        "name": "links-test",
        "kind": "listing",
        "start_urls": ["http://shop.test/"],
        "follow": [{"allow": ["/lot/"], "deny": ["/lot/sold/"], "parse": True}, {"allow": ["/page/"]}],
    },
    "",
)


def test_the_finder_keeps_followed_links_once_per_crawl() -> None:
    finder = LinkFinder(SOURCE)
    first = html_response(
        '<a href="/lot/1.html">1</a><a href="/lot/1.html#photos">1 again</a><a href="/lot/sold/2.html">sold</a>'
        '<a href="/page/2">hub</a><a href="/about.html">no rule</a>'
        f'<a href="/lot/{"x" * URL_LENGTH_LIMIT}.html">too long</a><a href="/lot/3.html?utm_source=mail">3</a>',
        url="https://shop.test/",
    )
    assert finder.follow(first, depth=1) == [
        FollowLink("https://shop.test/lot/1.html", "https://shop.test/lot/1.html", 1, "https://shop.test/"),
        FollowLink("https://shop.test/page/2", "https://shop.test/page/2", 1, "https://shop.test/"),
        FollowLink(
            "https://shop.test/lot/3.html?utm_source=mail", "https://shop.test/lot/3.html", 1, "https://shop.test/"
        ),
    ]
    # A second page linking to the same pages gives nothing new: the crawl has them already.
    second = html_response('<a href="/lot/1.html">1</a><a href="/lot/4.html">4</a>', url="https://shop.test/page/2")
    assert [link.url for link in finder.follow(second, depth=2)] == ["https://shop.test/lot/4.html"]


def test_no_referer_from_https_to_http() -> None:
    assert referer_for("http://a.test/x", "https://b.test/page#top") is None
    assert referer_for("https://a.test/x", "https://b.test/page#top") == "https://b.test/page"
    assert referer_for("http://a.test/x", "http://b.test/page") == "http://b.test/page"


def page(url: str, body: str, markup: str | None = "html") -> FetchedPage:
    return FetchedPage(
        url=url,
        status=200,
        body=body.encode(),
        fetched_at=datetime.now(UTC),
        content_type="text/html",
        markup=markup,
        headers={b"Content-Type": [b"text/html; charset=utf-8"]},
    )


def test_every_text_response_is_decoded_off_the_crawl_thread() -> None:
    assert markup_of(HtmlResponse(url="http://h.test/", body=b"")) == "html"
    assert markup_of(XmlResponse(url="http://h.test/", body=b"")) == "xml"
    assert markup_of(JsonResponse(url="http://h.test/", body=b"{}")) == "text"
    assert markup_of(TextResponse(url="http://h.test/", body=b"")) == "text"
    assert markup_of(Response(url="http://h.test/x.pdf", body=b"%PDF")) is None


def test_pages_are_decoded_as_scrapy_decodes_them() -> None:
    raw = page("http://shop.test/lot/1.html", "<html><head><meta charset='cp1252'></head><body>caf\xe9</body></html>")
    raw = FetchedPage(**{**raw.__dict__, "body": raw.body.decode().encode("cp1252"), "headers": {}})
    prepared, response = decoded(raw)
    assert response is not None
    assert prepared.text == HtmlResponse(url=raw.url, body=raw.body).text
    assert "café" in (prepared.text or "")
    assert decoded(prepared) == (prepared, None)  # once only
    assert decoded(page("http://shop.test/x.pdf", "%PDF", markup=None))[1] is None


def test_the_stage_parses_a_page_once_for_its_links_and_its_record(tmp_path: Path) -> None:
    stage = RecordStage(SOURCE, None, tmp_path)
    listing = page("http://shop.test/lot/1.html", "<html><body><h1>Lot 1</h1><a href='/lot/2.html'>2</a></body></html>")
    hub = page("http://shop.test/page/1", "<html><body><a href='/lot/3.html'>3</a></body></html>")
    deepest = page("http://shop.test/lot/9.html", "<html><body><a href='/lot/10.html'>10</a></body></html>")
    batch = [Emission(listing, "parse", follow_depth=2), Emission(hub, "hub", follow_depth=1), Emission(deepest, "hub")]
    prepared, links = stage.prepare(batch)
    assert [(link.url, link.depth) for link in links] == [
        ("http://shop.test/lot/2.html", 2),
        ("http://shop.test/lot/3.html", 1),
    ]
    assert prepared[0].page.selector is not None and prepared[0].page.text is not None
    assert prepared[2] is batch[2]  # archived only, links not followed: never decoded
    records, results = stage.records(prepared)
    assert [record.title for record in records] == ["Lot 1"]
    assert [result.outcome for result in results] == ["new"]


# -- a crawl that follows the links it is given back --------------------------------------------------------


@pytest.fixture(scope="module")
def big_site() -> Iterator[FixtureServer]:
    with FixtureServer.bundled(big_pages=300) as running:
        yield running


def test_a_crawl_follows_the_tree_to_its_depth_each_page_once(big_site: FixtureServer, tmp_path: Path) -> None:
    source = source_from_mapping(
        {
            "name": "big-depth",
            "kind": "listing",
            "start_urls": ["{fixture_site}/big/index.html"],
            "follow": [{"allow": [r"/big/p/\d+\.html$"], "parse": True}],
            "recrawl_interval": 0,
            "max_depth": 2,
            "politeness": {"delay_s": 0, "concurrency_per_domain": 8, "autothrottle": False},
        },
        big_site.url,
    )
    settings_ = get_settings().model_copy(
        update={"home": tmp_path, "crawl_allowed_private_targets": [big_site.url.split("//", 1)[1]]}
    )
    frontier, sink = InMemoryFrontier(), CollectingSink()
    report = run_crawl(source, settings_, frontier=frontier, sink=sink)
    # Index (depth 0) -> pages 1..10 (depth 1) -> pages 11..110 (depth 2); nothing deeper, nothing twice.
    expected = {f"{big_site.url}/big/p/{n}.html": (1 if n <= 10 else 2) for n in range(1, 111)}
    statuses = {s.url: s for s in frontier.all()}
    assert {url: s.depth for url, s in statuses.items() if "/p/" in url} == expected
    assert all(statuses[url].status == "fetched" for url in expected)
    assert report.count("downloader/request_count") == 1 + 1 + 110  # robots.txt, the index, the tree
    assert report.count("request_depth_max") == 2
    records = [r for r in sink.records if isinstance(r, CrawledPage)]
    assert sorted(r.url for r in records) == sorted(expected)
