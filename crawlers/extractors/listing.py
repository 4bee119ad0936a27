"""Marketplace listings: fields by the source's selector rules, with defaults that fit common markup."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any
from urllib.parse import urljoin, urlsplit

import pycountry
from lxml import etree
from parsel.csstranslator import HTMLTranslator

from crawlers.canonical import collapse_whitespace, content_hash
from crawlers.extractors.article import parse_datetime, visible_text
from crawlers.extractors.contacts import find_emails, find_phones
from crawlers.extractors.language import guess_language
from crawlers.extractors.page import FetchedPage, base_record
from crawlers.sources import ExtractionRules, SourceDefinition
from schemas.records import CrawledPage

DEFAULT_RULES = {
    "title": "h1::text",
    "price": "[itemprop=price]::attr(content), .price::text",
    "currency": "[itemprop=priceCurrency]::attr(content)",
    "seller": "[itemprop=seller] ::text, .seller::text",
    "ship_from": ".ship-from::text",
    "images": "img::attr(src)",
    "published": "time::attr(datetime)",
}
_SYMBOLS = {
    "$": "USD",
    "US$": "USD",
    "€": "EUR",
    "£": "GBP",
    "¥": "JPY",
    "HK$": "HKD",
    "₩": "KRW",
    "₽": "RUB",
}
_CODE = re.compile(r"\b([A-Z]{3})\b")
_AMOUNT = re.compile(r"\d[\d.,\s]*")
_MAX_IMAGES = 50
# A root-relative path ("/img/1.jpg") without dot segments, query, fragment or parameters: joined with the
# page's origin it is exactly what urljoin returns, for a fraction of the cost.
_ROOT_RELATIVE = re.compile(r"/(?!/)[A-Za-z0-9_~!$&'()*+,=:@%.-]*(?:/[A-Za-z0-9_~!$&'()*+,=:@%.-]*)*")
_TRANSLATOR = HTMLTranslator()


@lru_cache(maxsize=4096)
def parse_price(text: str | None) -> tuple[float | None, str | None]:
    """``"USD 4,200.00"``, ``"HK$ 1.234,50"`` or ``"4200"`` as (amount, ISO currency)."""
    if not text:
        return None, None
    currency = None
    for symbol in sorted(_SYMBOLS, key=len, reverse=True):
        if symbol in text:
            currency = _SYMBOLS[symbol]
            break
    code = _CODE.search(text)
    if code and pycountry.currencies.get(alpha_3=code.group(1)):
        currency = code.group(1)
    match = _AMOUNT.search(text)
    if not match:
        return None, currency
    digits = re.sub(r"\s", "", match.group(0)).rstrip(".,")
    if "," in digits and "." in digits:
        decimal = "," if digits.rfind(",") > digits.rfind(".") else "."
    elif "," in digits:
        decimal = "," if len(digits) - digits.rfind(",") - 1 in (1, 2) else ""
    else:
        decimal = "." if len(digits) - digits.rfind(".") - 1 in (1, 2) or digits.count(".") == 1 else ""
    thousands = {",", "."} - {decimal}
    cleaned = "".join(ch for ch in digits if ch not in thousands).replace(",", ".")
    try:
        return float(cleaned), currency
    except ValueError:
        return None, currency


@lru_cache(maxsize=1024)
def country_code(text: str | None) -> str | None:
    """``"HK"``, ``"Hong Kong"`` or ``"Ships from: China"`` as ISO 3166-1 alpha-2."""
    if not text:
        return None
    value = re.sub(r"(?i)^\s*(ships?|shipped)\s+from\s*:?\s*", "", text).strip(" .:")
    if not value:
        return None
    if re.fullmatch(r"[A-Za-z]{2}", value):
        found = pycountry.countries.get(alpha_2=value.upper())
        return str(found.alpha_2) if found else None
    try:
        return str(pycountry.countries.lookup(value).alpha_2)
    except LookupError:
        return None


def _absolute(base: str, link: str) -> str:
    """``urljoin(base, link)``, short-cut for the common root-relative link on an http(s) page."""
    if _ROOT_RELATIVE.fullmatch(link) and "/./" not in f"{link}/" and "/../" not in f"{link}/":
        origin = _origin(base)
        if origin is not None:
            return origin + link
    return urljoin(base, link)


@lru_cache(maxsize=1024)
def _origin(url: str) -> str | None:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme in ("http", "https") and parts.netloc else None


@lru_cache(maxsize=512)
def _compiled(css: str) -> etree.XPath:
    """A source's CSS rule as compiled XPath (``::text``/``::attr()`` included): compiled once, not per page."""
    return etree.XPath(_TRANSLATOR.css_to_xpath(css), smart_strings=False)


def _values(root: Any, css: str | None) -> list[str]:
    if not css or root is None:
        return []
    found = _compiled(css)(root)
    return [v if isinstance(v, str) else str(v.text_content()) for v in found]


def _first(root: Any, css: str | None) -> str | None:
    for value in _values(root, css):
        text = collapse_whitespace(value)
        if text:
            return text
    return None


@lru_cache(maxsize=256)
def _rules(extract: ExtractionRules) -> dict[str, str]:
    """The source's rules over the defaults (sources are frozen: merged once, not per page)."""
    return {**DEFAULT_RULES, **extract.model_dump(exclude_none=True)}


_TITLE = etree.XPath("normalize-space(//title)", smart_strings=False)
_LANG = etree.XPath("/html/@lang", smart_strings=False)


def extract_listing(source: SourceDefinition, page: FetchedPage) -> CrawledPage:
    selector = page.html_selector()
    root = selector.root
    rules = _rules(source.extract)
    title = _first(root, rules.get("title")) or (str(_TITLE(root)) if root is not None else "") or None
    # visible_text is already whitespace-collapsed; rule values are joined and collapsed here.
    text = collapse_whitespace(" ".join(_values(root, rules["text"]))) if rules.get("text") else visible_text(selector)
    declared = _LANG(root) if root is not None else []
    price, currency = parse_price(_first(root, rules.get("price")))
    currency = _first(root, rules.get("currency")) or currency
    images = list(dict.fromkeys(_absolute(page.url, src.strip()) for src in _values(root, rules.get("images"))))
    seller = _first(root, rules.get("seller"))
    ship_from = country_code(_first(root, rules.get("ship_from")))
    phones = find_phones(text)
    emails = find_emails(text)
    return base_record(
        source,
        page,
        "listing",
        title=title,
        text=text or None,
        language=guess_language(text, str(declared[0]) if declared else None),
        published_at=parse_datetime(_first(root, rules.get("published"))),
        price=price,
        price_currency=currency.upper() if currency else None,
        seller=seller,
        ship_from=ship_from,
        image_urls=images[:_MAX_IMAGES],
        phones=phones,
        emails=emails,
        content_hash=content_hash(title, text, str(price), currency, seller, " ".join(images)),
    )
