"""One HS-code rule for every feed that carries goods: a heading is kept, separators are dropped, and a code
that is not one is left off its goods item with a warning; the message and everything else in it stay."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from feeds import MessageContext, parse_message
from feeds.base import WarningLog
from feeds.hs_codes import hs_code
from schemas.records import Consignment, Declaration, GoodsItem, Record, Rejection
from tests.unit.test_parsers_cargo import FHL_SAMPLE

FEEDS = Path(__file__).resolve().parents[2] / "data" / "feeds"
CTX = MessageContext(source="test")

# The FHL of the cargo tests, its second house with an HS code of its own.
FHL = FHL_SAMPLE.replace(b"HTS/847330", b"HTS/{code}") + b"HTS/950300\n"


def _sample(folder: str, name: str, stated: str, template: str) -> Callable[[str], bytes]:
    """The sample with its one stated commodity code replaced by the code under test."""
    text = (FEEDS / folder / name).read_text(encoding="utf-8")
    assert text.count(template.format(code=stated)) == 1

    def payload(code: str) -> bytes:
        return text.replace(template.format(code=stated), template.format(code=code)).encode()

    return payload


def _fwb(code: str) -> bytes:
    text = (FEEDS / "cargo_imp" / "fwb17.txt").read_text(encoding="utf-8")
    return text.replace("/NG/ABRASIVE PASTE\n", f"/NG/ABRASIVE PASTE\n/NH/{code}\n", 1).encode()


# format, message, the goods item the code belongs to (record index in the goods-bearing records, item index)
MESSAGES: dict[str, tuple[str, Callable[[str], bytes], tuple[int, int]]] = {
    "ens-xml": ("ens", _sample("ens", "315AllOptional.xml", "comco", "<ComNomCMD1>{code}</ComNomCMD1>"), (0, 0)),
    "ens-json": ("ens", _sample("ens", "315AllOptional.json", "comco", '"commodityCode": "{code}"'), (0, 0)),
    "wco": ("wco", _sample("wco_dms", "Step1_TT_IM001a.xml", "85109000", "<ID>{code}</ID>"), (0, 0)),
    "cargo-xml": (
        "cargo-xml",
        _sample("cargo_xml", "SEL22222222_XFZB.xml", "1133557799", "<TypeCode>{code}</TypeCode>"),
        (0, 0),
    ),
    "cargo-imp-fwb": ("cargo-imp", _fwb, (0, 0)),
    "cargo-imp-fhl": ("cargo-imp", lambda code: FHL.replace(b"{code}", code.encode()), (0, 0)),
}


def _parse(case: str, code: str) -> tuple[list[Record], GoodsItem]:
    fmt, payload, (record_index, item_index) = MESSAGES[case]
    records = parse_message(payload(code), CTX, fmt)
    assert [r for r in records if isinstance(r, Rejection)] == []
    carriers = [r for r in records if isinstance(r, Consignment | Declaration)]
    return records, carriers[record_index].goods[item_index]


def _warnings(records: list[Record], code: str) -> set[tuple[str, str]]:
    return {(w.code, w.detail) for r in records for w in r.parse_warnings if w.code == code}


def _without_hs_codes(records: list[Record]) -> list[dict[str, Any]]:
    """The records with HS codes and warnings left out: what must not change when one code is odd."""
    dumps = []
    for record in records:
        dump = record.model_dump(exclude={"parse_warnings", "message_id"})  # the payload differs
        for item in dump.get("goods", []):
            item["hs_code"] = None
        dumps.append(dump)
    return dumps


@pytest.mark.parametrize("case", MESSAGES)
def test_a_heading_is_kept(case: str) -> None:
    records, item = _parse(case, "8471")
    assert item.hs_code == "8471"
    assert _warnings(records, "hs_code.dropped") == set() and _warnings(records, "hs_code.normalised") == set()


@pytest.mark.parametrize("case", MESSAGES)
def test_a_dotted_code_is_read_as_its_digits(case: str) -> None:
    records, item = _parse(case, "8471.30")
    assert item.hs_code == "847130"
    assert {code for code, _ in _warnings(records, "hs_code.normalised")} == {"hs_code.normalised"}
    assert all("'8471.30' read as 847130" in detail for _, detail in _warnings(records, "hs_code.normalised"))


@pytest.mark.parametrize("case", MESSAGES)
def test_a_code_that_is_not_one_is_dropped_with_a_warning_and_the_rest_kept(case: str) -> None:
    kept, _ = _parse(case, "8471")
    records, item = _parse(case, "99AB")
    assert item.hs_code is None
    (detail,) = {detail for _, detail in _warnings(records, "hs_code.dropped")}
    assert "HS code '99AB' not kept: not only digits" in detail
    assert _without_hs_codes(records) == _without_hs_codes(kept)
    carrier = next(r for r in records if isinstance(r, Consignment | Declaration) and item in r.goods)
    assert "hs_code.dropped" in {w.code for w in carrier.parse_warnings}  # on the record the goods item is in


def test_the_other_goods_of_a_message_keep_their_codes() -> None:
    records, item = _parse("cargo-imp-fhl", "99AB")
    houses = [r for r in records if isinstance(r, Consignment)]
    assert item.hs_code is None and houses[1].goods[0].hs_code == "950300"


DROPPED = "hs_code.dropped: line 1: HS code"
NO_CHAPTER = "is not a Harmonized System chapter (01-97, 77 reserved)"


@pytest.mark.parametrize(
    ("value", "expected", "warning"),
    [
        (None, None, None),
        ("", None, None),
        ("  ", None, None),
        ("0101", "0101", None),
        ("847130", "847130", None),
        ("84713000", "84713000", None),
        ("8471300010", "8471300010", None),
        ("8471 30 00", "84713000", "hs_code.normalised: line 1: HS code '8471 30 00' read as 84713000"),
        ("8471.30.00.10", "8471300010", "hs_code.normalised: line 1: HS code '8471.30.00.10' read as 8471300010"),
        ("99AB", None, f"{DROPPED} '99AB' not kept: not only digits"),
        ("8471-30", None, f"{DROPPED} '8471-30' not kept: not only digits"),
        ("84713", None, f"{DROPPED} '84713' not kept: 5 digits, not 4, 6, 8 or 10"),
        ("12", None, f"{DROPPED} '12' not kept: 2 digits, not 4, 6, 8 or 10"),
        ("847130001000", None, f"{DROPPED} '847130001000' not kept: 12 digits, not 4, 6, 8 or 10"),
        ("7701", None, f"{DROPPED} '7701' not kept: chapter 77 {NO_CHAPTER}"),
        ("980000", None, f"{DROPPED} '980000' not kept: chapter 98 {NO_CHAPTER}"),
        ("0000", None, f"{DROPPED} '0000' not kept: chapter 00 {NO_CHAPTER}"),
    ],
)
def test_the_rule(value: str | None, expected: str | None, warning: str | None) -> None:
    log = WarningLog()
    assert hs_code(value, log, "line 1") == expected
    assert [f"{w.code}: {w.detail}" for w in log.items] == ([warning] if warning else [])
    if expected is not None:
        assert GoodsItem(hs_code=expected).hs_code == expected  # what the rule keeps, the record type accepts
