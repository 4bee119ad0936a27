"""Watchlist loaders, the blocking index, its disk cache and the ``screen_record`` stage."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest

from enrichment.screening.entries import WatchlistEntry
from enrichment.screening.index import ScreeningIndex, build_index, load_index
from enrichment.screening.loaders import (
    BIS_DPL,
    OFAC_CONSOLIDATED,
    OFAC_SDN,
    UN_CONSOLIDATED,
    US_CSL,
    birth_dates_in,
    countries_in,
    identifiers_in,
    lists_content_hash,
    load_all,
)
from enrichment.screening.stage import queries_of, screen_record
from schemas.records import Booking, Consignment, Identifier, Mention, Party, Passenger, TravelDocument

WATCHLISTS = Path(__file__).resolve().parents[2] / "data" / "watchlists"
THRESHOLD = 0.71  # the product default


def slice_lists(target: Path) -> Path:
    """A small copy of the lists: part of the SDN file (the rest whole), so the index builds fast."""
    target.mkdir(parents=True, exist_ok=True)
    sdn_lines = (WATCHLISTS / "sdn.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    (target / "sdn.csv").write_text("".join(sdn_lines[:900] + sdn_lines[3060:3260]), encoding="utf-8")
    for name in (
        "alt.csv",
        "sdn_comments.csv",
        "cons_prim.csv",
        "cons_alt.csv",
        "UN_consolidated.xml",
        "csl.csv",
        "dpl.txt",
    ):
        shutil.copy(WATCHLISTS / name, target / name)
    return target


@pytest.fixture(scope="module")
def lists_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return slice_lists(tmp_path_factory.mktemp("watchlists"))


@pytest.fixture(scope="module")
def index(lists_dir: Path) -> ScreeningIndex:
    return build_index(lists_dir)


# ---------------------------------------------------------------------------------------------
# Loaders


def test_ofac_remarks_are_read_as_evidence() -> None:
    remark = (
        "DOB 31 Aug 1960; alt. DOB 1953; DOB 1961 to 1963; POB Lebanon; nationality Iraq; "
        "citizen Saudi Arabia; Passport 042833 (Lebanon); Vessel Registration Identification IMO 9187629."
    )
    assert birth_dates_in(remark) == ("1960-08-31", "1953", "1961", "1962", "1963")
    assert countries_in(remark) == ("iq", "sa")
    assert identifiers_in(remark) == (("passport", "042833"), ("imo", "9187629"))


def test_every_list_loads_into_the_common_model(lists_dir: Path) -> None:
    entries = load_all(lists_dir)
    by_list = {entry.list_name for entry in entries}
    assert by_list == {OFAC_SDN, OFAC_CONSOLIDATED, UN_CONSOLIDATED, US_CSL, BIS_DPL}
    by_id = {entry.entry_id: entry for entry in entries}
    zawahiri = by_id["ofac-sdn:2676"]
    assert zawahiri.schema == "Person"
    assert "AL-ZAWAHIRI, Ayman" in zawahiri.names  # alias from alt.csv
    assert zawahiri.birth_dates == ("1951-06-19",)
    assert ("passport", "1084010") in zawahiri.identifiers
    saddam = next(e for e in entries if e.list_name == UN_CONSOLIDATED and "صدام حسين التكريتي" in e.names)
    assert saddam.schema == "Person" and saddam.countries == ("iq",)
    vessel = by_id["ofac-sdn:15036"]
    assert vessel.schema == "Vessel" and ("imo", "9187629") in vessel.identifiers
    assert {e.schema for e in entries if e.list_name == US_CSL} >= {"Person", "Company", "Vessel"}
    assert all(entry.names for entry in entries)


def test_missing_files_are_skipped(tmp_path: Path) -> None:
    shutil.copy(WATCHLISTS / "dpl.txt", tmp_path / "dpl.txt")
    entries = load_all(tmp_path)
    assert entries and {entry.list_name for entry in entries} == {BIS_DPL}


def test_content_hash_follows_the_files(tmp_path: Path) -> None:
    shutil.copy(WATCHLISTS / "dpl.txt", tmp_path / "dpl.txt")
    before = lists_content_hash(tmp_path)
    with (tmp_path / "dpl.txt").open("a", encoding="utf-8") as handle:
        handle.write('"NEW PERSON"\t""\t""\t""\t""\t""\t""\t""\t""\t""\t""\t""\n')
    assert lists_content_hash(tmp_path) != before


# ---------------------------------------------------------------------------------------------
# Index


def test_screen_name_finds_the_entry_with_an_explanation(index: ScreeningIndex) -> None:
    matches = index.screen_name("Ayman al-Zawahiri", "Person")
    assert matches[0].entry.entry_id == "ofac-sdn:2676" and matches[0].score >= THRESHOLD
    assert "zawahiri=zawahiri" in matches[0].comparison.explanation


@pytest.mark.parametrize(
    ("query", "entry_list"),
    [
        ("صدام حسين التكريتي", UN_CONSOLIDATED),  # original script alias
        ("Saddam Hussein al-Tikriti", UN_CONSOLIDATED),
        ("TIKRITI, Saddam Hussein", OFAC_SDN),
        ("Aerocaribean Airlines", OFAC_SDN),
    ],
)
def test_screen_name_across_spellings(index: ScreeningIndex, query: str, entry_list: str) -> None:
    matches = index.screen_name(query, limit=10)
    assert any(m.entry.list_name == entry_list and m.score >= THRESHOLD for m in matches)


def test_schema_restricts_hits(index: ScreeningIndex) -> None:
    assert all(m.entry.schema in ("Company", "LegalEntity") for m in index.screen_name("Ayman", "Company"))


def test_birth_date_contradiction_demotes_an_entry(index: ScreeningIndex) -> None:
    agreeing = index.screen_name("Ayman al-Zawahiri", "Person", birth_date="1951-06-19")[0]
    contradicting = index.screen_name("Ayman al-Zawahiri", "Person", birth_date="1990-01-01", limit=10)
    zawahiri = next(m for m in contradicting if m.entry.entry_id == "ofac-sdn:2676")
    assert agreeing.score > zawahiri.score
    assert zawahiri.score < THRESHOLD
    assert "contradicts" in zawahiri.comparison.explanation


def test_unlisted_names_do_not_hit(index: ScreeningIndex) -> None:
    for name in ("Ingeborg Abrahamsen", "Kathryn Barr", "Isabella Joaquin Torres"):
        assert all(m.score < THRESHOLD for m in index.screen_name(name, "Person"))


def test_index_is_cached_on_disk_by_content(lists_dir: Path, tmp_path: Path) -> None:
    (tmp_path / "index-v0-stale.pickle").write_bytes(b"old")
    first = load_index(lists_dir, cache_dir=tmp_path)
    cached = list(tmp_path.glob("index-*.pickle"))
    assert len(cached) == 1 and first.content_hash in lists_content_hash(lists_dir)
    second = load_index(lists_dir, cache_dir=tmp_path)
    assert second.content_hash == first.content_hash and len(second.names) == len(first.names)
    assert second.screen_name("Ayman al-Zawahiri")[0].entry.entry_id == "ofac-sdn:2676"
    cached[0].write_bytes(b"not a pickle")  # a broken cache is rebuilt, not fatal
    assert len(load_index(lists_dir, cache_dir=tmp_path).names) == len(first.names)


def test_build_from_entries() -> None:
    entries = [
        WatchlistEntry("t:1", "test", "Person", ("DOE, John",), birth_dates=("1970",)),
        WatchlistEntry("t:2", "test", "Company", ("Romashka OOO",)),
        WatchlistEntry("t:3", "test", "Vessel", ("OCEAN STAR",), identifiers=(("imo", "9074729"),)),
    ]
    small = ScreeningIndex.build(entries)
    assert small.screen_name("John Doe")[0].entry.entry_id == "t:1"
    assert small.screen_name("Romashka LLC", "Company")[0].score == 1.0
    assert small.screen_name("", identifiers=(("imo", "IMO 9074729"),))[0].entry.entry_id == "t:3"


# ---------------------------------------------------------------------------------------------
# Stage


def test_screen_record_fills_hits_for_a_passenger(index: ScreeningIndex) -> None:
    passenger = Passenger(
        id="passenger-1",
        source_format="test",
        full_name="AYMAN AL ZAWAHIRI",
        date_of_birth=date(1951, 6, 19),
        documents=[TravelDocument(doc_type="P", number="1084010", issuing_country="EG")],
    )
    screened = screen_record(passenger, index, threshold=THRESHOLD, max_hits=5)
    assert screened is not passenger and passenger.screening == []
    hit = screened.screening[0]
    assert hit.entry_id == "ofac-sdn:2676" and hit.list_name == OFAC_SDN and hit.field == "full_name"
    assert hit.score == 1.0
    assert "date of birth 1951-06-19 matches" in hit.explanation and "passport 1084010" in hit.explanation


def test_screen_record_screens_party_consignment_and_mentions(index: ScreeningIndex) -> None:
    party = Party(id="party-1", source_format="test", name="Anglo Caribbean Company Ltd", schema_name="Organization")
    assert screen_record(party, index, threshold=THRESHOLD, max_hits=5).screening[0].entry_id == "ofac-sdn:173"

    consignment = Consignment(
        id="consignment-1",
        source_format="test",
        transport_document="BL1",
        vessel_imo="IMO 9187629",
        shipper_name="Harmless Exports Ltd",
        mentions=[Mention(label="PER", text="Saddam Hussein", start=0, end=14, field="goods")],
        identifiers=[Identifier(scheme="imo", value="9187629", source_field="vessel_imo")],
    )
    hits = screen_record(consignment, index, threshold=THRESHOLD, max_hits=5).screening
    fields = {hit.field for hit in hits}
    assert "vessel_imo" in fields and "mentions.goods" in fields
    vessel = next(hit for hit in hits if hit.field == "vessel_imo")
    assert vessel.entry_id == "ofac-sdn:15036" and "imo 9187629 matches" in vessel.explanation
    assert len({(hit.entry_id, hit.field) for hit in hits}) == len(hits)


def test_screen_record_screens_the_payer_of_a_booking(index: ScreeningIndex) -> None:
    booking = Booking(
        id="booking-1",
        source_format="test",
        record_locator="QX7P2M",
        payer_name="AEROCARIBBEAN AIRLINES",
        travel_agency="Harmless Travel",
    )
    hits = screen_record(booking, index, threshold=THRESHOLD, max_hits=5).screening
    assert [(hit.field, hit.entry_id) for hit in hits] == [("payer_name", "ofac-sdn:36")]


def test_screen_record_without_hits_returns_the_record(index: ScreeningIndex) -> None:
    party = Party(id="party-2", source_format="test", name="Ingeborg Abrahamsen", schema_name="Person")
    assert screen_record(party, index, threshold=THRESHOLD, max_hits=5) is party
    assert [q.field for q in queries_of(party)] == ["name"]


@pytest.mark.slow
def test_full_lists_index() -> None:
    full = build_index(WATCHLISTS)
    assert len(full) > 9000 and len(full.names) > 20000
    assert full.screen_name("Ayman al-Zawahiri", "Person")[0].entry.entry_id == "ofac-sdn:2676"
    assert full.screen_name("ZHIFU LIN")[0].entry.list_name == BIS_DPL
