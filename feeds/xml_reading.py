"""Safe XML parsing for untrusted feeds, and namespace-agnostic navigation.

Feeds come from outside: a DOCTYPE (the carrier of XXE and billion-laughs attacks) is refused before
parsing, and lxml runs with entity resolution, DTD loading and network access off and ``huge_tree``
off (which also bounds nesting depth). Only UTF-8 documents are accepted.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from lxml import etree

from feeds.base import ParseError
from feeds.payload_text import check_not_empty, decode_text
from feeds.xml_errors import explain

FORBIDDEN = re.compile(r"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
DECLARED_ENCODING = re.compile(r"^\s*<\?xml[^>]*encoding\s*=\s*[\"']([A-Za-z0-9._-]+)[\"']")
UTF8_NAMES = frozenset({"utf-8", "utf8", "us-ascii", "ascii"})

Element = Any  # lxml ships no type information; elements are handled through the helpers below


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        huge_tree=False,
        load_dtd=False,
        dtd_validation=False,
        remove_comments=True,
        remove_pis=True,
    )


def parse_xml(payload: bytes) -> Element:
    """The root element, or ParseError: payload.*, encoding.invalid, xml.forbidden_entity, xml.malformed."""
    check_not_empty(payload)
    text = decode_text(payload)
    declared = DECLARED_ENCODING.match(text)
    if declared and declared.group(1).lower() not in UTF8_NAMES:
        raise ParseError("encoding.invalid", f"declared encoding {declared.group(1)!r}; only UTF-8 is accepted")
    forbidden = FORBIDDEN.search(text)
    if forbidden:
        raise ParseError(
            "xml.forbidden_entity",
            f"<!{forbidden.group(1).upper()}> is not accepted (entity expansion and external entities are refused)",
        )
    try:
        root = etree.fromstring(text.encode("utf-8"), _parser())
    except etree.XMLSyntaxError as exc:
        reason, detail = explain(text, exc)
        raise ParseError(reason, detail[:600]) from exc
    if root is None:
        raise ParseError("xml.malformed", "no root element")
    return root


def local_name(element: Element) -> str:
    tag = element.tag
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""  # "{namespace}Name" -> "Name"


def sniff_xml(payload: bytes, *markers: bytes) -> bool:
    head = payload[:4096]
    return head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<") and any(m in head for m in markers)


def children(element: Element | None, name: str) -> Iterator[Element]:
    if element is None:
        return
    for child in element:
        if local_name(child) == name:
            yield child


def child(element: Element | None, *path: str) -> Element | None:
    current = element
    for name in path:
        current = next(children(current, name), None)
        if current is None:
            return None
    return current


def descendants(element: Element, name: str) -> Iterator[Element]:
    for node in element.iter():
        if local_name(node) == name:
            yield node


def text(element: Element | None, *path: str) -> str | None:
    node = child(element, *path) if path else element
    if node is None or node.text is None:
        return None
    value = " ".join(str(node.text).split())
    return value or None


def attribute(element: Element | None, name: str, *path: str) -> str | None:
    node = child(element, *path) if path else element
    if node is None:
        return None
    value = node.get(name)
    return str(value) if value else None


def number(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        result = float(value.replace(",", "."))
    except ValueError:
        return None
    return result if result >= 0 else None


def integer(value: str | None) -> int | None:
    result = number(value)
    return int(result) if result is not None and result == int(result) else None
