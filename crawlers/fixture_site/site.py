"""The fixture site's content, generated in memory from the planted scenario (``data/planted/world.yaml``).

Pages are plain ``Page`` values keyed by path; the server adds HTTP behaviour (validators, 304s) and the
dynamic edge cases. ``big_page(n)`` generates page ``n`` of the large benchmark section on demand.
"""

from __future__ import annotations

import hashlib
import html
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

PUBLISHED = "2026-03-02T09:30:00+00:00"
LAST_MODIFIED = "Mon, 02 Mar 2026 09:30:00 GMT"

WATCHLIST_FILES = {
    "sdn.csv": ("OFAC SDN", "text/csv"),
    "alt.csv": ("OFAC SDN aliases", "text/csv"),
    "add.csv": ("OFAC SDN addresses", "text/csv"),
    "sdn_comments.csv": ("OFAC SDN comments", "text/csv"),
    "cons_prim.csv": ("OFAC Consolidated", "text/csv"),
    "cons_alt.csv": ("OFAC Consolidated aliases", "text/csv"),
    "cons_add.csv": ("OFAC Consolidated addresses", "text/csv"),
    "UN_consolidated.xml": ("UN Consolidated", "application/xml"),
    "csl.csv": ("US CSL", "text/csv"),
    "dpl.txt": ("BIS DPL", "text/plain"),
}
BIG_FANOUT = 10
PDF_NOTICE = "/notices/2026/designation-notice.pdf"


@dataclass
class Page:
    body: bytes
    content_type: str = "text/html; charset=utf-8"
    last_modified: str = LAST_MODIFIED

    @property
    def etag(self) -> str:
        return '"' + hashlib.sha256(self.body).hexdigest()[:20] + '"'


@dataclass
class FixtureSite:
    pages: dict[str, Page] = field(default_factory=dict)
    big_pages: int = 0

    def get(self, path: str) -> Page | None:
        page = self.pages.get(path)
        if page is None and self.big_pages and path.startswith("/big/"):
            return big_page_at(path, self.big_pages)
        return page

    def set_html(self, path: str, body: str, last_modified: str = LAST_MODIFIED) -> None:
        """Replace (or add) a page: tests use it to change content between crawls."""
        self.pages[path] = Page(body.encode("utf-8"), last_modified=last_modified)


def _e(text: object) -> str:
    return html.escape(str(text))


def layout(title: str, body: str, lang: str = "en", head: str = "") -> str:
    return (
        f'<!DOCTYPE html>\n<html lang="{lang}"><head><meta charset="utf-8"><title>{_e(title)}</title>{head}'
        '<script>document.write("scripts are never executed by the crawler")</script></head><body>'
        '<nav><a href="/">Home</a> | <a href="/news/">News</a> | <a href="/notices/">Notices</a> | '
        '<a href="/market/">Market</a></nav>'
        f"<main>{body}</main><footer>Fixture site for Sekisho. Fictional content.</footer></body></html>\n"
    )


def article(title: str, date: str, paragraphs: list[str]) -> str:
    paras = "".join(f"<p>{_e(p)}</p>" for p in paragraphs)
    head = f'<meta property="article:published_time" content="{_e(date)}">'
    return layout(
        title,
        f'<article><h1>{_e(title)}</h1><time datetime="{_e(date)}">{_e(date[:10])}</time>{paras}</article>',
        head=head,
    )


def listing(
    title: str,
    price: str,
    currency: str,
    seller: str,
    ship_from: str,
    images: list[str],
    description: list[str],
) -> str:
    imgs = "".join(f'<img src="{_e(src)}" alt="photo">' for src in images)
    desc = "".join(f"<p>{_e(p)}</p>" for p in description)
    body = (
        '<div class="listing" itemscope itemtype="https://schema.org/Product">'
        f'<h1 itemprop="name">{_e(title)}</h1>'
        f'<div class="gallery">{imgs}</div>'
        f'<p class="price"><span itemprop="priceCurrency" content="{_e(currency)}">{_e(currency)}</span> '
        f'<span itemprop="price" content="{_e(price)}">{_e(price)}</span></p>'
        f'<p>Seller: <span class="seller">{_e(seller)}</span></p>'
        f'<p class="ship-from">{_e(ship_from)}</p>'
        f'<div class="description">{desc}</div></div>'
    )
    return layout(title, body)


def _index(title: str, links: list[tuple[str, str]]) -> str:
    items = "".join(f'<li><a href="{_e(href)}">{_e(text)}</a></li>' for href, text in links)
    return layout(title, f"<h1>{_e(title)}</h1><ul>{items}</ul>")


def _company(world: dict[str, Any], key: str) -> dict[str, Any]:
    return next(c for c in world["companies"] if c["key"] == key)


def _pages_from_world(world: dict[str, Any]) -> dict[str, str]:
    web = world["web"]
    consignee = _company(world, "c-pacific-rim")
    shipper = _company(world, "c-golden-dragon")
    shipment = world["consignments"][0]
    listed = world["listed"][0]
    market = web["marketplace"]
    pages: dict[str, str] = {}

    news = {
        "/news/2026/customs-seize-machine-tools.html": article(
            web["news"]["title"],
            PUBLISHED,
            [
                f"Hong Kong customs officers have seized {shipment['pieces']} crates of machine tools "
                "declared as "
                f'"{shipment["description"].lower()}" on air waybill {shipment["awb"]}, bound for Tokyo.',
                f"The consignment was shipped by {shipper['name']} of Kowloon, Hong Kong, and consigned to "
                f"{consignee['name']}, Minato-ku, Tokyo. Its declared value of {shipment['declared_value']} "
                f"{shipment['currency']} for {shipment['weight_kg']} kg of CNC machinery is far below "
                "market price.",
                "Investigators say the lathes are dual-use goods that require an export licence. "
                "Anyone with information can call the hotline or write to tips@customs-example.hk.",
            ],
        ),
        "/news/2026/record-container-volumes.html": article(
            "Port reports record container volumes in February",
            "2026-02-27T08:00:00+00:00",
            [
                "The port handled more containers in February than in any month before, driven by "
                "electronics and machinery imports from East Asia.",
                "Officials expect the growth to continue as new berths open later in the year.",
            ],
        ),
        "/news/2026/counterfeit-watches-narita.html": article(
            "Counterfeit watches seized at Narita airport",
            "2026-02-20T12:15:00+00:00",
            [
                "Customs at Narita seized 3,400 counterfeit luxury watches hidden in a consignment declared "
                "as clock parts.",
                "The goods arrived on a cargo flight from Hong Kong and were detected by X-ray screening.",
            ],
        ),
    }
    pages.update(news)
    pages["/news/"] = _index("News", [(path, path.rsplit("/", 1)[-1]) for path in news])
    notice = web["sanctions_notice"]
    pages["/notices/2026/treasury-designates-komid-network.html"] = article(
        notice["title"],
        PUBLISHED,
        [
            f"The Treasury today designated a procurement network acting for {listed['name']} "
            f"({listed['alias']}), already listed on the {listed['list']} list.",
            f"Among the entities designated is {shipper['name']}, a Hong Kong trading company that arranged "
            "shipments of machine tools and paid for travel of network members.",
            "All property and interests in property of the designated persons are blocked. "
            "This notice is a lead for review, not a verdict.",
        ],
    )
    pages["/notices/"] = _index(
        "Sanctions notices", [("/notices/2026/treasury-designates-komid-network.html", notice["title"])]
    )

    listings = {
        "/market/listing/1001.html": listing(
            market["title"],
            f"{market['price']:.2f}",
            market["currency"],
            market["seller"],
            f"Ships from: {market['ship_from']}",
            ["/market/img/1001-spindle.jpg", "/market/img/1001-controller.jpg"],
            [
                "Brand new 24,000 rpm CNC spindles and 5-axis controllers, factory sealed. Bulk discount.",
                "No export papers needed, we handle everything. Discreet shipping by air to Japan and Korea.",
                f"Contact: WhatsApp {market['phone']} or {consignee['email']}",
            ],
        ),
        "/market/listing/1002.html": listing(
            "Replica luxury watches, bulk lot of 100",
            "1,250.00",
            "USD",
            "TimeKeepers Wholesale",
            "Ships from: China",
            ["/market/img/1002-watches.jpg"],
            ["AAA quality replicas, mixed brands. Contact sales@timekeepers-example.cn"],
        ),
        "/market/listing/1003.html": listing(
            "Used hydraulic pump, good condition",
            "380",
            "EUR",
            "Maschinen Koch",
            "Ships from: Germany",
            ["/market/img/1003-pump.jpg"],
            ["Removed from a working plant. Pickup or freight. Call +49 30 901820."],
        ),
    }
    pages.update(listings)
    pages["/market/"] = _index("Marketplace", [(path, path.rsplit("/", 1)[-1]) for path in listings])
    pages["/"] = _index(
        "Fixture site",
        [
            ("/news/", "News"),
            ("/notices/", "Sanctions notices"),
            ("/market/", "Marketplace"),
            ("/private/", "Staff only"),
        ],
    )
    pages["/private/"] = layout("Staff only", "<h1>Staff only</h1><p>robots.txt disallows this section.</p>")
    return pages


def _edge_pages() -> dict[str, Page]:
    def page(html_text: str) -> Page:
        return Page(html_text.encode("utf-8"))

    duplicate = article("Duplicate story", PUBLISHED, ["The same story published under two addresses."] * 3)
    pages = {
        "/edge/target.html": page(article("Redirect target", PUBLISHED, ["You arrived by a redirect."] * 3)),
        "/edge/dup-a.html": page(duplicate),
        "/edge/dup-b.html": page(duplicate),
        "/edge/malformed.html": Page(
            b"<html><head><title>Broken markup</title><body><div><p>Unclosed paragraph about"
            b" seized <b>machine tools<i> and <table><tr><td>cells without end <p>still readable text"
            b" for the crawler to keep going</div></span></html"
        ),
        "/edge/latin1.html": Page(
            (
                "<html lang='fr'><head>"
                "<meta http-equiv='Content-Type' content='text/html; charset=iso-8859-1'>"
                "<title>Saisie à l'aéroport</title></head><body><article><h1>Saisie à l'aéroport</h1>"
                "<p>Les douaniers ont saisi des pièces détachées déclarées comme matériel électrique "
                "à destination de la Corée.</p><p>Le montant déclaré était très inférieur à la valeur "
                "réelle des marchandises.</p></article></body></html>"
            ).encode("iso-8859-1"),
            content_type="text/html; charset=iso-8859-1",
        ),
        "/edge/shiftjis.html": Page(
            (
                "<html><head><meta charset='shift_jis'><title>税関が工作機械を押収</title></head>"
                "<body><article>"
                "<h1>税関が工作機械を押収</h1><p>成田空港の税関は、機械部品として申告された工作機械を押収した。"
                "</p></article></body></html>"
            ).encode("shift_jis"),
            content_type="text/html",
        ),
        "/edge/private-links.html": page(
            _index(
                "Links to internal addresses",
                [
                    ("http://10.0.0.5/edge/internal.html", "internal"),
                    ("http://169.254.169.254/edge/latest/meta-data/", "metadata"),
                    ("http://192.168.1.1/edge/router.html", "router"),
                ],
            )
        ),
        "/edge/image.png": Page(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, content_type="image/png"),
    }
    links = [(p, p) for p in pages] + [
        (p, p)
        for p in (
            "/edge/redirect.html",
            "/edge/loop-a.html",
            "/edge/missing.html",
            "/edge/error.html",
            "/edge/slow.html",
            "/edge/hang.html",
            "/edge/huge.html",
            "/edge/redirect-private.html",
            "/private/secret.html",
        )
    ]
    pages["/edge/"] = page(_index("Edge cases", links))
    return pages


def _robots() -> Page:
    return Page(b"User-agent: *\nDisallow: /private/\n", content_type="text/plain")


BASE_PLACEHOLDER = "{{base}}"  # replaced by the server with its own address: sitemaps need absolute URLs


def _sitemap(paths: list[str]) -> Page:
    urls = "".join(f"<url><loc>{BASE_PLACEHOLDER}{_e(p)}</loc><lastmod>2026-03-02</lastmod></url>" for p in paths)
    return Page(
        (
            '<?xml version="1.0" encoding="UTF-8"?>'
            f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>'
        ).encode(),
        content_type="application/xml",
    )


def _rss(items: list[tuple[str, str]]) -> Page:
    entries = "".join(
        f"<item><title>{_e(t)}</title><link>{BASE_PLACEHOLDER}{_e(link)}</link></item>" for link, t in items
    )
    return Page(
        (
            '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>News</title>'
            f"<link>/news/</link>{entries}</channel></rss>"
        ).encode(),
        content_type="application/rss+xml",
    )


def _atom(entries: list[tuple[str, str]]) -> Page:
    items = "".join(
        f'<entry><title>{_e(t)}</title><link href="{_e(link)}"/><updated>{PUBLISHED}</updated>'
        f"<id>tag:fixture.example,2026:{_e(link)}</id></entry>"
        for link, t in entries
    )
    return Page(
        (
            '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
            f"<title>Sanctions notices</title><updated>{PUBLISHED}</updated><id>tag:fixture.example,2026:notices</id>"
            f"{items}</feed>"
        ).encode(),
        content_type="application/atom+xml",
    )


def _pdf_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def pdf_document(title: str, lines: list[str], created: str = "D:20260302093000Z") -> bytes:
    """A small, valid one-page PDF (Helvetica text lines, an Info dictionary with title and date)."""
    shown = " ".join(f"({_pdf_escape(line)}) '" for line in [title, "", *lines])
    text = f"BT /F1 11 Tf 72 760 Td 14 TL {shown} ET"
    stream = text.encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        f"<< /Title ({_pdf_escape(title)}) /CreationDate ({created}) /Producer (Sekisho) >>".encode("latin-1"),
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    trailer = f"<< /Size {len(objects) + 1} /Root 1 0 R /Info {len(objects)} 0 R >>"
    out += f"trailer\n{trailer}\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def _pdf_notice(world: dict[str, Any]) -> Page:
    shipper = _company(world, "c-golden-dragon")
    listed = world["listed"][0]
    body = pdf_document(
        "Notice of designation: procurement network",
        [
            "Office of Foreign Assets Control - fictional notice for the Sekisho fixture site.",
            f"Designated today: {shipper['name']}, Kowloon, Hong Kong,",
            f"acting for or on behalf of {listed['name']} ({listed['alias']}).",
            "Enquiries: +1 202 555 0143 or notices@treasury-example.gov",
        ],
    )
    return Page(body, content_type="application/pdf")


def _api(paths: list[str]) -> Page:
    import json

    data = {"listings": [{"id": p.rsplit("/", 1)[-1].split(".")[0], "url": p} for p in paths]}
    return Page(json.dumps(data).encode(), content_type="application/json")


def big_page_at(path: str, total: int) -> Page | None:
    """Page ``n`` of the large section links to pages ``10n+1 .. 10n+10`` (a tree ``total`` pages big)."""
    name = path.removeprefix("/big/")
    if name in ("", "index.html"):
        number = 0
    elif name.startswith("p/") and name.endswith(".html") and name[2:-5].isdigit():
        number = int(name[2:-5])
    else:
        return None
    if number >= total:
        return None
    return Page(big_page(number, total).encode("utf-8"))


def big_page(number: int, total: int) -> str:
    children = [c for c in range(number * BIG_FANOUT + 1, number * BIG_FANOUT + BIG_FANOUT + 1) if c < total]
    links = "".join(f'<li><a href="/big/p/{c}.html">Item {c}</a></li>' for c in children)
    price = 10 + (number * 37) % 990
    phone = f"+852 9{(number * 7919) % 10_000_000:07d}"
    return listing(
        f"Generated listing {number}: industrial part lot {number % 97}",
        f"{price}.00",
        "USD",
        f"Seller {number % 131}",
        "Ships from: Hong Kong",
        [f"/big/img/{number}.jpg"],
        [
            f"Generated description {number}. Lot of {number % 50 + 1} parts, tested and packed. Contact {phone}.",
            "Payment by transfer. Worldwide shipping from our warehouse.",
        ],
    ).replace("</main>", f"<ul>{links}</ul></main>")


def load_world(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ValueError(f"{path}: the planted world is a mapping")
    return data


def build_site(world_path: Path, watchlist_dir: Path | None = None, big_pages: int = 0) -> FixtureSite:
    site = FixtureSite(big_pages=big_pages)
    world = load_world(world_path)
    for path, text in _pages_from_world(world).items():
        site.set_html(path, text)
    site.pages.update(_edge_pages())
    site.pages["/robots.txt"] = _robots()
    site.pages[PDF_NOTICE] = _pdf_notice(world)
    content_paths = [
        p for p in site.pages if p.endswith((".html", ".pdf")) and p.startswith(("/news/", "/notices/", "/market/"))
    ]
    site.pages["/sitemap.xml"] = _sitemap(sorted(content_paths))
    site.pages["/news/feed.xml"] = _rss(
        [(p, p.rsplit("/", 1)[-1]) for p in sorted(content_paths) if p.startswith("/news/")]
    )
    site.pages["/notices/feed.atom"] = _atom(
        [(p, p.rsplit("/", 1)[-1]) for p in sorted(content_paths) if p.startswith("/notices/")]
    )
    site.pages["/market/api/listings.json"] = _api(sorted(p for p in content_paths if p.startswith("/market/")))
    for name in ("1001-spindle", "1001-controller", "1002-watches", "1003-pump"):
        site.pages[f"/market/img/{name}.jpg"] = Page(b"\xff\xd8\xff\xe0fixture", content_type="image/jpeg")
    if watchlist_dir is not None:
        for filename, (_, content_type) in WATCHLIST_FILES.items():
            file = watchlist_dir / filename
            if file.exists():
                site.pages[f"/lists/{filename}"] = Page(file.read_bytes(), content_type=content_type)
    return site
