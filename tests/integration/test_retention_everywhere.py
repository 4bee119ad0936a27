"""PNR retention on the real Elasticsearch, everywhere PNR data lands, proven through the API routes.

PNR bookings and passengers are indexed, linked into the graph (with a seized payer, so risk
propagates and explanations quote names), alerted on, and dead-lettered (a truncated PNR and one the
sniffer does not recognise, raw payload and all). Six months on, nothing personal may be found; five
years on, nothing at all of the travellers: neither through search, entity cards, graph paths,
alerts, the enforcement export or the queue, nor in any index but the audit trail (which records the
search terms typed by this very test).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from feeds import MessageContext, parse_message
from graph.store import EsGraphStore, link_indexed
from schemas.documents import Alert
from schemas.records import Booking, Passenger, Record, Rejection
from sekisho import es_io, kafka_io
from sekisho.settings import Settings
from targeting import retention
from targeting.alerts import MemorySubscriptions
from targeting.api import create_app
from targeting.api.es_store import EsStore
from targeting.api.ingest import MemoryRawSink
from targeting.api.keys import MemoryKeyStore, create_key
from targeting.api.purpose import BASIS_HEADER, PURPOSE_HEADER
from targeting.api.roles import Role
from tests.integration.test_retention_es import _pnr_records as retention_records

pytestmark = pytest.mark.integration

RECEIVED = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)
PURPOSE = {PURPOSE_HEADER: "case:retention-test", BASIS_HEADER: "eu-pnr-art6-2b"}
SIX_MONTHS_ON = RECEIVED + timedelta(days=186)
FIVE_YEARS_ON = RECEIVED + timedelta(days=5 * 366 + 1)
UNRECOGNISED_PNR = (
    b"UNA:+.? 'UNB+IATA:1+CX+JPCUSTOMS+261125:0930+1'UNH+1+PNRGIV:13:1:IA+1'MSG+:22'"
    b"TIF+VOLKOV+DMITRIMR:A:1'SSR+DOCS:HK::CX:::::/P/RUS/753912345/RUS/12MAR71/M/01JAN30/VOLKOV/DMITRI'"
    b"UNT+5+1'UNZ+1+1'"
)


@pytest.fixture(scope="module")
def es(stack: Settings) -> Iterator[Settings]:
    settings = stack.model_copy(update={"namespace": f"{stack.namespace}all"})
    es_io.ensure_indices(settings)
    yield settings
    es_io.delete_namespace(settings)


def pnr_records() -> list[Record]:
    """The PNR part of the retention test's push (its truncated PNR included) and an unrecognised PNR."""
    records = [r for r in retention_records() if r.source_format != "paxlst"]
    records += parse_message(UNRECOGNISED_PNR, MessageContext(source="typo.edi"))
    return [r.model_copy(update={"received_at": RECEIVED}) for r in records]


def personal_terms(records: list[Record]) -> set[str]:
    """What identifies the travellers in these PNRs (upper case, long enough not to occur by chance)."""
    terms: set[str] = set()
    for record in records:
        if isinstance(record, Passenger):
            terms.update(v for v in (record.full_name, record.surname) if v and len(v) >= 4)
            terms.update(d.number for d in record.documents if len(d.number) >= 5)
            terms.update(record.phones + record.emails)
        elif isinstance(record, Booking):
            terms.update(record.phones + record.emails + [r for r in record.remarks if len(r) >= 6])
            terms.update(a.text or " ".join(a.lines) for a in record.addresses)
            if record.payer_name:
                terms.add(record.payer_name)
    return {t.upper() for t in terms if t and t.strip()}


@pytest.fixture(scope="module")
def seeded(es: Settings) -> dict[str, Any]:
    records = pnr_records()
    es_io.write_records(records, es)
    es_io.refresh(es)
    link_indexed(es)
    booking = next(r for r in records if isinstance(r, Booking) and r.record_locator == "QX7P2M")
    volkov = next(r for r in records if isinstance(r, Passenger) and r.surname == "VOLKOV")
    graph = EsGraphStore(es)
    payer = next(e.dst for e in graph.edges_touching([booking.id]) if e.kind == "paid_by")
    graph.mark_seized([payer])
    graph.refresh()
    link_indexed(es)  # propagate from the seized payer: explanations now quote names on the way
    alerts = [
        Alert(id="alert-1", key=f"passenger:{volkov.id}", record_id=volkov.id, record_type="passenger",
              label=volkov.full_name, score=0.95, severity="critical",
              title=f"critical traveller {volkov.full_name}", explanation=[f"paid by {booking.payer_name}"],
              graph_path=[volkov.id, booking.id, payer], created_at=RECEIVED, source_received_at=RECEIVED),
        Alert(id="alert-elsewhere", key="consignment:c-1", record_id="consignment-unrelated",
              record_type="consignment", label="consignment 123", score=0.8, severity="high",
              title="high consignment 123", explanation=[f"shares the payer {booking.payer_name}"],
              graph_path=["consignment-unrelated", payer], created_at=RECEIVED),
    ]
    es_io.write_records(alerts, es)
    es_io.refresh(es)
    return {"records": records, "terms": personal_terms(records), "volkov": volkov, "booking": booking,
            "payer": payer}


@pytest.fixture(scope="module")
def api(es: Settings) -> tuple[TestClient, dict[Role, dict[str, str]]]:
    keys = MemoryKeyStore()
    client = TestClient(create_app(EsStore(es), keys, MemoryRawSink(), MemorySubscriptions(), es))
    auth = {role: {"Authorization": f"Bearer {create_key(keys, role, role.value)}"} for role in Role}
    return client, auth


def stored_text(settings: Settings, *, sealed: bool = True) -> str:
    """Every document of the namespace but the audit trail (and the sealed originals unless ``sealed``),
    as one upper-case JSON text."""
    client = es_io.client(settings)
    found = client.search(index=f"{settings.namespace}-*", body={"query": {"match_all": {}}, "size": 10000})
    skipped = ("-api-audit",) if sealed else ("-api-audit", "-pnr-sealed")
    docs = [hit["_source"] for hit in found["hits"]["hits"] if not any(s in hit["_index"] for s in skipped)]
    return json.dumps(docs, ensure_ascii=False).upper()


def through_routes(client: TestClient, keys: dict[Role, dict[str, str]], seeded: dict[str, Any]) -> str:
    """What the API shows of the seeded data under a purpose (so nothing is masked by purpose binding),
    as one upper-case text."""
    auth = {role: {**headers, **PURPOSE} for role, headers in keys.items()}
    shown: list[Any] = []
    for term in sorted(seeded["terms"]):
        response = client.get("/api/search", params={"q": term}, headers=auth[Role.ANALYST])
        assert response.status_code == 200
        shown.append(response.json())
    for record in seeded["records"]:
        if isinstance(record, Passenger | Booking | Rejection):
            for role in (Role.ANALYST, Role.ENFORCEMENT):
                card = client.get(f"/api/entities/{record.id}", headers=auth[role])
                assert card.status_code in (200, 404)
                shown.append(card.json())
            shown.append(client.get(f"/api/entities/{record.id}/paths", headers=auth[Role.ANALYST]).json())
    shown.append(client.get("/api/alerts", headers=auth[Role.CT_UNIT]).json())
    export = client.get("/api/watchlist/export", params={"list": "sekisho-graph-risk"}, headers=auth[Role.ENFORCEMENT])
    assert export.status_code == 200
    shown.append(export.text)
    port = seeded["volkov"].debarkation or "NRT"
    queue = client.get("/api/queue", params={"port": port, "day": "2026-11-25"}, headers=auth[Role.ENFORCEMENT])
    assert queue.status_code == 200
    shown.append(queue.json())
    return json.dumps(shown, ensure_ascii=False).upper()


def leaked(text: str, terms: set[str]) -> list[str]:
    return sorted(term for term in terms if term in text)


def test_the_seed_is_found_before_retention(es: Settings, seeded: dict[str, Any],
                                            api: tuple[TestClient, dict[Role, dict[str, str]]]) -> None:
    client, auth = api
    assert "VOLKOV" in seeded["terms"] and len(seeded["terms"]) > 20
    hits = client.get("/api/search", params={"q": "VOLKOV"}, headers={**auth[Role.ANALYST], **PURPOSE}).json()
    assert hits, "the planted traveller must be searchable before retention runs"
    stored = stored_text(es)
    assert "PNRGIV" in stored and seeded["booking"].payer_name.upper() in stored
    volkov = es_io.search("graph_node", {"ids": {"values": [seeded["volkov"].id]}}, es)[0]
    assert volkov["graph_risk"] > 0 and volkov["risk_path"], "risk must have propagated from the seized payer"
    assert len(leaked(through_routes(client, auth, seeded), seeded["terms"])) > 5


def test_six_months_on_nothing_personal_is_left(es: Settings, seeded: dict[str, Any],
                                               api: tuple[TestClient, dict[Role, dict[str, str]]]) -> None:
    """Regression: the graph (39 nodes, 64 edges), alerts and unrecognised dead letters kept names."""
    counts = retention.apply(SIX_MONTHS_ON, settings=es)
    assert counts["rejection.depersonalised"] == 2  # the truncated PNR and the unrecognised one
    assert counts["graph_edge.deleted"] > 0 and counts["graph_node.deleted"] > 0 and counts["alert.masked"] >= 2
    # the originals are sealed for an approved re-identification (stored, not indexed, no route reads them)
    assert counts["pnr_sealed.sealed"] == counts["booking.depersonalised"] + counts["passenger.depersonalised"]
    assert leaked(stored_text(es, sealed=False), seeded["terms"]) == []
    client, auth = api
    assert leaked(through_routes(client, auth, seeded), seeded["terms"]) == []
    card = client.get(f"/api/entities/{seeded['volkov'].id}", headers={**auth[Role.ANALYST], **PURPOSE}).json()
    assert card["label"] == retention.MASKED_NAME
    assert retention.apply(SIX_MONTHS_ON, settings=es)["graph_node.masked"] == 0  # nothing left to do


def test_five_years_on_the_travellers_are_gone(es: Settings, seeded: dict[str, Any],
                                              api: tuple[TestClient, dict[Role, dict[str, str]]]) -> None:
    counts = retention.apply(FIVE_YEARS_ON, settings=es)
    assert counts["passenger.deleted"] > 0 and counts["rejection.deleted"] == 2 and counts["alert.deleted"] == 1
    assert counts["pnr_sealed.deleted"] == counts["passenger.deleted"] + counts["booking.deleted"]
    client, auth = api
    for record in seeded["records"]:
        if isinstance(record, Passenger | Booking | Rejection):
            assert client.get(f"/api/entities/{record.id}", headers=auth[Role.ANALYST]).status_code == 404
    remaining = es_io.search("graph_node", {"match_all": {}}, es, size=1000)
    assert {n["kind"] for n in remaining} <= {"flight"}, "only flights (no personal data) may remain"
    personal = [r.id for r in seeded["records"] if isinstance(r, Passenger | Booking | Rejection)]
    assert es_io.count("graph_edge", es, {"terms": {"source_record": personal}}) == 0
    assert [a["id"] for a in client.get("/api/alerts", headers=auth[Role.CT_UNIT]).json()] == ["alert-elsewhere"]
    assert leaked(stored_text(es), seeded["terms"]) == []


def test_topics_keep_messages_at_most_six_months(stack: Settings) -> None:
    config = kafka_io.topic_config(stack.topic("raw"), stack)
    assert int(config["retention.ms"]) == stack.kafka_retention_ms <= 183 * 24 * 3600 * 1000
    with pytest.raises(ValidationError):
        Settings(kafka_retention_ms=365 * 24 * 3600 * 1000)


def test_graph_left_behind_by_records_deleted_earlier_is_swept(es: Settings, seeded: dict[str, Any]) -> None:
    """Regression: records deleted by the earlier retention (or by hand) left 39 nodes and 64 edges behind."""
    records = [r.model_copy(update={"id": f"{r.id}-again"}) for r in pnr_records()
               if isinstance(r, Passenger | Booking)]
    es_io.write_records(records, es)
    es_io.refresh(es)
    link_indexed(es)
    volkov = next(r for r in records if isinstance(r, Passenger) and r.surname == "VOLKOV")
    es_io.write_records([Alert(id="alert-again", key="k", record_id=volkov.id, record_type="passenger",
                               label=volkov.full_name, score=0.9, severity="critical", title="t",
                               created_at=RECEIVED)], es)
    for record_type in ("passenger", "booking"):  # what the retention before the graph cascade did
        es_io.delete_by_query(record_type, {"ids": {"values": [r.id for r in records]}}, es)
    assert "VOLKOV" in stored_text(es)
    counts = retention.apply(FIVE_YEARS_ON, settings=es)
    assert counts["graph_node.deleted"] > 0 and counts["alert.deleted"] == 1
    assert leaked(stored_text(es), seeded["terms"]) == []
