"""Re-screening on list changes: which entries changed, which records are still in the window, new hits
against the changed entries only, and the alerts they raise."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

from enrichment.screening.decisions import ClearedPairs
from enrichment.screening.entries import WatchlistEntry
from enrichment.screening.rescreen import list_change, rescreen
from schemas.records import Consignment, FlightLeg, Party, Passenger, ScreeningHit, StatusEvent, make_id
from targeting.rescreen import ListBaseline, in_window, rescreen_alert

NOW = datetime(2026, 12, 7, 6, 0, tzinfo=UTC)
OLD = [
    WatchlistEntry(entry_id="a", list_name="OFAC SDN", schema="Person", names=("Ivan Sokolov",)),
    WatchlistEntry(entry_id="b", list_name="OFAC SDN", schema="Company", names=("Blue Harbour Logistics",)),
    WatchlistEntry(entry_id="c", list_name="UN", schema="Person", names=("Omar Haddad",)),
]
NEW = [
    replace(OLD[0], names=("Ivan Sokolov", "Yevgeny Markov")),  # a new alias
    OLD[1],
    WatchlistEntry(entry_id="d", list_name="OFAC SDN", schema="Company", names=("Golden Dragon Trading",)),
]


def leg(n: int, day: date) -> FlightLeg:
    return FlightLeg(id=make_id("flight_leg", str(n)), source_format="t", carrier="JL", flight_number=str(n),
                     flight_date=day, arrival_airport="NRT")


def passenger(name: str, legs: list[FlightLeg], hits: list[ScreeningHit] | None = None) -> Passenger:
    return Passenger(id=make_id("passenger", name), source_format="t", full_name=name, debarkation="NRT",
                     flight_leg_ids=[x.id for x in legs], screening=hits or [])


def test_a_list_change_names_added_changed_and_removed_entries() -> None:
    change = list_change(OLD, NEW)
    assert [e.entry_id for e in change.added] == ["d"] and [e.entry_id for e in change.changed] == ["a"]
    assert change.removed == ("c",) and change.summary() == "1 added, 1 changed, 1 removed"


def test_only_the_changed_entries_are_screened_and_only_new_hits_come_back() -> None:
    soon = leg(1, date(2026, 12, 8))
    markov = passenger("YEVGENY MARKOV", [soon])
    harbour = Party(id=make_id("party", "bh"), source_format="t", name="BLUE HARBOUR LOGISTICS", schema_name="Company")
    dragon = Consignment(id=make_id("consignment", "1"), source_format="t", transport_document="1",
                         shipper_name="GOLDEN DRAGON TRADING CO LTD", destination="NRT")
    already = passenger("IVAN SOKOLOV", [soon], [ScreeningHit(entry_id="a", list_name="OFAC SDN",
                        matched_name="Ivan Sokolov", query_name="IVAN SOKOLOV", score=1.0, explanation="x",
                        field="full_name")])
    change = list_change(OLD, NEW)
    found = list(rescreen([markov, harbour, dragon, already], change.entries, 0.7, 5))
    assert sorted((n.record.id, n.hit.entry_id) for n in found) == sorted([(markov.id, "a"), (dragon.id, "d")])
    # harbour matches only an unchanged entry; Sokolov already carried his hit
    cleared = ClearedPairs({})
    assert list(rescreen([markov], [], 0.7, 5, cleared)) == []


def test_the_window_keeps_travellers_arriving_soon_unreleased_consignments_and_companies() -> None:
    soon, later, past = leg(1, date(2026, 12, 8)), leg(2, date(2026, 12, 20)), leg(3, date(2026, 12, 1))
    legs = {x.id: x for x in (soon, later, past)}
    assert in_window(passenger("A", [soon]), legs, NOW, 72)
    assert not in_window(passenger("B", [later]), legs, NOW, 72)
    assert not in_window(passenger("C", [past]), legs, NOW, 72)
    assert in_window(passenger("B", [later]), legs, NOW, 24 * 14)
    held = Consignment(id="consignment-1", source_format="t", transport_document="1",
                       status_events=[StatusEvent(code="ARR")])
    assert in_window(held, legs, NOW, 72)
    assert not in_window(held.model_copy(update={"status_events": [StatusEvent(code="DLV")]}), legs, NOW, 72)
    assert in_window(Party(id="party-1", source_format="t", name="X", schema_name="Company"), legs, NOW, 72)
    assert not in_window(Party(id="party-2", source_format="t", name="Y", schema_name="Person"), legs, NOW, 72)


def test_a_new_hit_becomes_an_alert_new_on_the_list() -> None:
    markov = passenger("YEVGENY MARKOV", [leg(1, date(2026, 12, 8))])
    (found,) = rescreen([markov], list_change(OLD, NEW).entries, 0.7, 5)
    alert = rescreen_alert(found, NOW.date(), NOW)
    assert alert.title == "new on list OFAC SDN since 2026-12-07: traveller YEVGENY MARKOV matches Yevgeny Markov"
    assert alert.severity == "critical" and alert.port == "NRT" and alert.key.endswith(":list:a")
    assert rescreen_alert(found, NOW.date(), NOW).id == alert.id  # a re-run raises the same alert


def test_the_baseline_is_a_copy_of_the_lists(tmp_path: Path) -> None:
    lists = Path(__file__).resolve().parents[2] / "data" / "watchlists"
    baseline = ListBaseline(tmp_path / "baseline")
    assert baseline.entries() is None
    baseline.save(lists)
    baseline.save(lists)  # replacing it leaves one copy
    entries = baseline.entries()
    assert entries and len(entries) > 1000 and sorted(p.name for p in tmp_path.iterdir()) == ["baseline"]


def test_the_pre_filter_passes_over_names_sharing_nothing_with_the_change() -> None:
    from enrichment.screening.index import ScreeningIndex
    from enrichment.screening.rescreen import may_match
    from enrichment.screening.stage import ScreeningQuery

    index = ScreeningIndex.build(list(list_change(OLD, NEW).entries))
    keys = set(index.postings)
    assert may_match(ScreeningQuery("full_name", "MARKOV YEVGENIY", "Person"), index, keys)  # a spelling
    assert not may_match(ScreeningQuery("full_name", "HANAKO SUZUKI", "Person"), index, keys)
    assert may_match(ScreeningQuery("full_name", "Евгений Марков", "Person"), index, keys)  # other scripts
