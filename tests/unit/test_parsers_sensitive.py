"""Sensitive free text in PNRs (EU PNR art. 13(4)): removed at parse per category and language, counted."""

from __future__ import annotations

import json

import pytest

from feeds import MessageContext, pnrgov
from feeds.sensitive import CATEGORIES, categories_of, default_terms, is_sensitive_code
from schemas.records import Booking


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("PAX HIV POSITIVE", "health"),
        ("CARRIES INSULIN PEN", "health"),
        ("SURGERY LAST WEEK NO LIFTING", "health"),
        ("EPILEPSY ASSIST ON BOARD", "health"),
        ("PACEMAKER NO METAL DETECTOR", "health"),
        ("TRAVELS WITH CATHOLIC PRIEST", "religion"),
        ("MUSLIM MEAL REQUESTED", "religion"),
        ("KOSHER ONLY", "religion"),
        ("PASSAGIER IST SCHWANGER", "health"),
        ("REPAS CASHER", "religion"),
        ("DELEGADO SINDICAL", "trade_union"),
        ("TRADE UNION DELEGATE CONFERENCE", "trade_union"),
        ("POLITICAL ASYLUM HEARING", "political"),
        ("ETHNIC MINORITY ESCORT", "ethnicity"),
        ("SAME SEX PARTNER", "sexual_life"),
        ("RELIGIÖSE SPEISE", "religion"),
        ("車椅子が必要", "health"),
        ("WHEEL-CHAIR TO GATE", "health"),
        ("PAX REQ KSML", "coded_ssr"),
    ],
)
def test_sensitive_texts_are_recognised(text: str, category: str) -> None:
    assert category in categories_of(text)


@pytest.mark.parametrize(
    "text",
    ["OFFICE IN ISLAMABAD", "NON SMOKING", "CTCE CHRISTIAN MUELLER", "UNION STATION PICKUP", "TEMPLE ST 12",
     "MONKEY ISLAND TOURS", "GROUP TOUR 12 PAX", "FARE RESTRICTIONS APPLY", "PAID BY CORPORATE CARD"],
)
def test_harmless_remarks_are_kept(text: str) -> None:
    assert categories_of(text) == frozenset()


def test_every_language_lists_every_category_and_the_codes_are_loaded() -> None:
    terms = default_terms()
    assert set(terms.patterns) == set(CATEGORIES)
    assert {"en", "de", "fr", "es", "it", "pt", "nl", "ja"} <= set(terms.languages)
    assert is_sensitive_code("avml") and is_sensitive_code("WCHR") and not is_sensitive_code("DOCS")


def test_free_text_remarks_with_sensitive_content_are_removed_and_counted() -> None:
    """Regression: insulin, HIV, surgery, epilepsy, pacemaker and priest remarks survived parsing."""
    remarks = ["PAX HIV POSITIVE", "INSULIN PEN IN CABIN", "SURGERY LAST MONTH", "EPILEPSY MEDS",
               "PACEMAKER FITTED", "TRAVELS WITH CATHOLIC PRIEST", "MUSLIM MEAL PLS", "GROUP TOUR LEADER"]
    free_text = "".join(f"IFT+4:28::XX+{text}'" for text in remarks).encode()
    payload = (
        b"UNB+IATA:1+XX++240101:1200+1'UNH+1+PNRGOV:13:1:IA+1'MSG+:22'ORG+XX'"
        b"TVL+020124:1000:020124:1300+LHR+JFK+XX+100'EQN+1'SRC'RCI+XX:ABC123'" + free_text
        + b"SSR+OTHS:HK:1:XX:::::INSULIN IN HAND LUGGAGE'TIF+DOE+JANEMRS:A:1'UNT+10+1'UNZ+1+1'"
    )
    records = pnrgov.parse(payload, MessageContext(source="synthetic"))
    (booking,) = [r for r in records if isinstance(r, Booking)]
    assert booking.remarks == ["GROUP TOUR LEADER"]
    assert booking.sensitive_removed == 8
    dumped = json.dumps([r.model_dump(mode="json") for r in records]).upper()
    for word in ("HIV", "INSULIN", "SURGERY", "EPILEPSY", "PACEMAKER", "PRIEST", "MUSLIM"):
        assert word not in dumped
