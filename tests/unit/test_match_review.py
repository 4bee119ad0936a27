"""Match review: decisions on screening hits suppress cleared pairs in later screening, re-open when the
list entry changes, and are listed, exported and reversed (by an administrator) through the API."""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from datetime import UTC, date, datetime

from fastapi.testclient import TestClient

from enrichment.screening.decisions import ClearedPairs, RefreshingClearedPairs, entry_fingerprint
from enrichment.screening.entries import WatchlistEntry
from enrichment.screening.index import ScreeningIndex
from enrichment.screening.stage import queries_of, query_subject_key, screen_record
from schemas.documents import ScreeningDecision
from schemas.records import Passenger, make_id
from sekisho.settings import get_settings
from targeting.alerts import MemorySubscriptions
from targeting.api import create_app
from targeting.api.ingest import MemoryRawSink
from targeting.api.keys import MemoryKeyStore, create_key
from targeting.api.match_review import ListEntries
from targeting.api.roles import Role
from targeting.api.sample_data import sample_store

ENTRY = WatchlistEntry(entry_id="ofac-1", list_name="OFAC SDN", schema="Person", names=("Viktor Petrenko",),
                       birth_dates=("1970-05-02",))
OTHER = WatchlistEntry(entry_id="un-7", list_name="UN", schema="Person", names=("Viktor Petrenko Ivanovich",))
INDEX = ScreeningIndex.build([ENTRY, OTHER])


def traveller(n: int, dob: date = date(1970, 5, 2)) -> Passenger:
    return Passenger(id=make_id("passenger", str(n)), source_format="t", full_name="PETRENKO VIKTOR",
                     date_of_birth=dob, debarkation="NRT")


def decision(record: Passenger, entry: WatchlistEntry, verdict: str = "false_positive") -> ScreeningDecision:
    query = next(queries_of(record))
    return ScreeningDecision(subject_key=query_subject_key(query), entry_id=entry.entry_id, list_name=entry.list_name,
                             entry_fingerprint=entry_fingerprint(entry), verdict=verdict,  # type: ignore[arg-type]
                             record_id=record.id, subject_name=record.full_name, matched_name=entry.names[0],
                             decided_by="ana", decided_at=datetime(2026, 11, 25, 9, tzinfo=UTC))


def entries_hit(
    record: Passenger, index: ScreeningIndex, cleared: ClearedPairs | None, threshold: float = 0.7
) -> set[str]:
    return {h.entry_id for h in screen_record(record, index, threshold, 5, cleared).screening}


def test_a_cleared_pair_is_not_reported_again_for_the_same_traveller() -> None:
    first = traveller(1)
    assert entries_hit(first, INDEX, None) == {"ofac-1", "un-7"}
    cleared = ClearedPairs.of([decision(first, ENTRY)])
    assert entries_hit(traveller(2), INDEX, cleared) == {"un-7"}  # the next record of the same traveller
    assert cleared.suppressed == 1
    namesake = traveller(3, dob=date(1988, 1, 1))
    # Another date of birth is another subject: the decision does not suppress it (the contradicting date of
    # birth lowers its score under the default threshold, so look below it).
    assert "ofac-1" in entries_hit(namesake, INDEX, cleared, threshold=0.5)


def test_confirmed_unsure_and_reversed_decisions_do_not_clear() -> None:
    first = traveller(1)
    assert ClearedPairs.of([decision(first, ENTRY, "confirm"), decision(first, OTHER, "unsure")]).pairs == {}
    undone = decision(first, ENTRY).model_copy(update={"reversed_by": "admin", "reversed_at": datetime.now(UTC)})
    assert ClearedPairs.of([undone]).pairs == {}


def test_a_changed_list_entry_reopens_its_cleared_pairs() -> None:
    cleared = ClearedPairs.of([decision(traveller(1), ENTRY)])
    for changed in (replace(ENTRY, names=("Viktor Petrenko", "Viktor Petrenco")),
                    replace(ENTRY, birth_dates=("1970-05-02", "1971-05-02"))):
        assert "ofac-1" in entries_hit(traveller(2), ScreeningIndex.build([changed, OTHER]), cleared)


def test_the_stream_rereads_decisions_and_keeps_the_last_on_failure() -> None:
    calls: list[int] = []

    def load() -> list[ScreeningDecision]:
        calls.append(1)
        if len(calls) > 1:
            raise ConnectionError("index unavailable")
        return [decision(traveller(1), ENTRY)]

    refreshing = RefreshingClearedPairs(load, every_s=0.0)
    assert len(refreshing.current().pairs) == 1
    assert len(refreshing.current().pairs) == 1 and len(calls) == 2


def test_match_review_through_the_api() -> None:
    settings = get_settings()
    keys = MemoryKeyStore()
    store = sample_store(settings, day=date(2026, 11, 25))
    app = create_app(store, keys, MemoryRawSink(), MemorySubscriptions(), settings)
    komid = WatchlistEntry(entry_id="9345", list_name="OFAC SDN", schema="Company",
                           names=("KOREA MINING DEVELOPMENT TRADING CORPORATION", "KOMID"))
    app.state.list_entries = ListEntries(settings, [komid])
    client = TestClient(app)
    auth = {role: {"Authorization": f"Bearer {create_key(keys, role, role.value + '-user')}"} for role in Role}
    booking = next(i for i, d in store.documents.items() if d.get("screening"))

    hits = client.get("/api/screening/hits", params={"record_id": booking}, headers=auth[Role.ANALYST]).json()
    assert [(h["entry_id"], h["status"], h["summary"]) for h in hits] == [("9345", "open", "not reviewed")]
    body = {"record_id": booking, "entry_id": "9345", "verdict": "false_positive", "note": "another KOMID"}
    assert client.post("/api/screening/decisions", json=body, headers=auth[Role.ENFORCEMENT]).status_code == 403
    made = client.post("/api/screening/decisions", json=body, headers=auth[Role.ANALYST])
    assert made.status_code == 201 and made.json()["status"] == "cleared"
    shown = client.get("/api/screening/hits", params={"record_id": booking}, headers=auth[Role.CT_UNIT]).json()[0]
    assert shown["summary"].startswith("cleared by analyst-user on 20")
    missing = {**body, "entry_id": "nothing"}
    assert client.post("/api/screening/decisions", json=missing, headers=auth[Role.ANALYST]).status_code == 404

    listed = client.get("/api/screening/decisions", headers=auth[Role.ANALYST]).json()
    assert [(d["verdict"], d["decided_by"], d["note"]) for d in listed] == [("false_positive", "analyst-user",
                                                                             "another KOMID")]
    exported = client.get("/api/screening/decisions", params={"format": "csv"}, headers=auth[Role.CT_UNIT])
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert exported.headers["content-type"].startswith("text/csv") and rows[0]["entry_id"] == "9345"
    assert rows[0]["in_force"] == "True"

    # The entry gains an alias: the cleared pair is re-opened for review.
    app.state.list_entries = ListEntries(settings, [replace(komid, names=(*komid.names, "KOMID TRADING"))])
    reopened = client.get("/api/screening/hits", params={"record_id": booking}, headers=auth[Role.ANALYST]).json()[0]
    assert reopened["status"] == "reopened" and "the list entry changed" in reopened["summary"]

    decision_id = listed[0]["id"]
    assert client.post(f"/api/screening/decisions/{decision_id}/reverse", headers=auth[Role.ANALYST]).status_code == 403
    undone = client.post(f"/api/screening/decisions/{decision_id}/reverse", headers=auth[Role.ADMIN]).json()
    assert undone["reversed_by"] == "admin-user"
    assert client.post(f"/api/screening/decisions/{decision_id}/reverse", headers=auth[Role.ADMIN]).status_code == 409
    again = client.get("/api/screening/hits", params={"record_id": booking}, headers=auth[Role.ANALYST]).json()[0]
    assert again["status"] == "open"
    actions = [e.action for e in store.audit_log if e.action.startswith("screening.")]
    assert actions.count("screening.false_positive") == 1 and "screening.reverse" in actions
