"""Purpose-bound access: enforcement sees PNR-derived data only under a case/alert reference and legal basis."""

from __future__ import annotations

from datetime import date

from fastapi.testclient import TestClient

from feeds import MessageContext, parse_message
from sekisho.settings import get_settings
from targeting.alerts import MemorySubscriptions
from targeting.api import create_app
from targeting.api.ingest import MemoryRawSink
from targeting.api.keys import MemoryKeyStore, create_key
from targeting.api.memory_store import MemoryStore
from targeting.api.purpose import BASIS_HEADER, MASK, PURPOSE_HEADER
from targeting.api.roles import Role
from targeting.api.sample_data import sample_store

DAY = date(2026, 11, 25)
PURPOSE = {PURPOSE_HEADER: "case:2026-0042", BASIS_HEADER: "eu-pnr-art6-2b"}
DEAD_PNR = b"UNA:+.? 'UNB+IATA:1+CX+JP+261125:0930+1'UNH+1+PNRGIV:13:1:IA+1'TIF+VOLKOV+DMITRIMR:A:1'UNZ+1+1'"


def pnr_store() -> tuple[MemoryStore, str]:
    """The planted story with its bookings and travellers as PNR data, and an unrecognised PNR dead letter."""
    store = sample_store(get_settings(), day=DAY)
    for doc in store.documents.values():
        if doc.get("record_type") in ("booking", "passenger"):
            doc["source_format"] = "pnrgov"
    (dead,) = parse_message(DEAD_PNR, MessageContext(source="typo.edi"))
    store.add_records([dead])
    return store, dead.id


STORE, DEAD_ID = pnr_store()
KEYS = MemoryKeyStore()
CLIENT = TestClient(create_app(STORE, KEYS, MemoryRawSink(), MemorySubscriptions(), get_settings()))
AUTH = {role: {"Authorization": f"Bearer {create_key(KEYS, role, role.value)}"} for role in Role}
VOLKOV = next(d["id"] for d in STORE.documents.values() if d.get("full_name") == "DMITRI VOLKOV")


def test_enforcement_without_a_purpose_gets_the_traveller_masked() -> None:
    card = CLIENT.get(f"/api/entities/{VOLKOV}", headers=AUTH[Role.ENFORCEMENT])
    assert card.status_code == 200
    assert card.json()["label"] == MASK and card.json()["document"]["full_name"] == MASK
    # (the phone stays: a crawled page and a trade party carry it too, it is not PNR data only)
    assert "VOLKOV" not in card.text and "QX7P2M" not in card.text


def test_under_a_purpose_enforcement_sees_it_and_the_purpose_is_audited() -> None:
    card = CLIENT.get(f"/api/entities/{VOLKOV}", headers={**AUTH[Role.ENFORCEMENT], **PURPOSE})
    assert card.status_code == 200 and card.json()["label"] == "DMITRI VOLKOV"
    event = STORE.audit_log[-1]
    assert (event.action, event.params["purpose"], event.params["legal_basis"]) == (
        "entity.view", "case:2026-0042", "eu-pnr-art6-2b")


def test_the_export_leaves_pnr_travellers_out_without_a_purpose() -> None:
    """Regression: enforcement received PNR names and payers through the watchlist export."""
    params = {"list": "sekisho-graph-risk"}
    bare = CLIENT.get("/api/watchlist/export", params=params, headers=AUTH[Role.ENFORCEMENT])
    assert bare.status_code == 200 and "VOLKOV" not in bare.text
    full = CLIENT.get("/api/watchlist/export", params=params, headers={**AUTH[Role.ENFORCEMENT], **PURPOSE})
    assert "DMITRI VOLKOV" in full.text


def test_dead_letters_keep_their_payload_from_enforcement() -> None:
    """Regression: an enforcement key read the full raw PNR of an unrecognised message."""
    card = CLIENT.get(f"/api/entities/{DEAD_ID}", headers=AUTH[Role.ENFORCEMENT])
    assert card.status_code == 200 and "raw" not in card.json()["document"] and "VOLKOV" not in card.text
    under = CLIENT.get(f"/api/entities/{DEAD_ID}", headers={**AUTH[Role.ENFORCEMENT], **PURPOSE})
    assert "VOLKOV" in under.json()["document"]["raw"]


def test_the_queue_shows_pnr_picks_without_names() -> None:
    params = {"port": "nrt", "day": DAY.isoformat()}
    queue = CLIENT.get("/api/queue", params=params, headers=AUTH[Role.ENFORCEMENT]).json()
    assert queue["picks"] and "VOLKOV" not in str(queue)
    assert any(p["label"] == MASK for p in queue["picks"])


def test_a_bad_purpose_is_refused() -> None:
    for headers in ({PURPOSE_HEADER: "case:1", BASIS_HEADER: "because"},
                    {PURPOSE_HEADER: "curiosity", BASIS_HEADER: "eu-pnr-art6-2b"},
                    {PURPOSE_HEADER: "case:1"}):
        response = CLIENT.get(f"/api/entities/{VOLKOV}", headers={**AUTH[Role.ENFORCEMENT], **headers})
        assert response.status_code == 400, headers


def test_every_role_that_works_cases_needs_a_purpose_and_administrators_do_not() -> None:
    for role in (Role.ANALYST, Role.CT_UNIT):
        card = CLIENT.get(f"/api/entities/{VOLKOV}", headers=AUTH[role])
        assert card.json()["label"] == MASK and "VOLKOV" not in card.text
        hits = CLIENT.get("/api/search", params={"q": "volkov", "kind": "passenger"}, headers=AUTH[role]).json()
        assert hits and {h["label"] for h in hits} == {MASK}
    assert CLIENT.get(f"/api/entities/{VOLKOV}", headers=AUTH[Role.ADMIN]).json()["label"] == "DMITRI VOLKOV"
