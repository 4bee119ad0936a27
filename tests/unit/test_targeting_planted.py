"""The planted scenario of data/planted/world.yaml, built as records by hand, through graph and targeting.

The traveller who shares a phone with the consignee, on a booking paid by the SDN-listed company, must
come out on top with the path that explains it; so must the undervalued consignment.
"""

from __future__ import annotations

import itertools
import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from graph.analytics import InMemoryGraph, paths_to_watchlist, propagate_risk
from graph.links import links_of
from graph.model import Node
from schemas.grading import grade_weight
from schemas.records import (
    Address,
    Booking,
    Consignment,
    CrawledPage,
    FlightLeg,
    GoodsItem,
    Mention,
    Party,
    Passenger,
    Record,
    ScreeningHit,
    TravelDocument,
    make_id,
)
from targeting.alerts import alert_for
from targeting.facts import Related
from targeting.queue import Capacity, build_queue
from targeting.rules import RuleBook
from targeting.scoring import TargetScore, score_record

WORLD = Path(__file__).resolve().parents[2] / "data" / "planted" / "world.yaml"
DAY = date(2026, 11, 25)
DEPARTURE = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


def _address(data: dict[str, Any]) -> Address:
    return Address(
        lines=data.get("lines", []),
        city=data.get("city"),
        postcode=data.get("postcode"),
        country=data.get("country"),
    )


def planted_records() -> dict[str, Record]:
    world = yaml.safe_load(WORLD.read_text())
    listed = world["listed"][0]
    flight = world["flights"][0]
    leg = FlightLeg(
        id=make_id("flight_leg", flight["carrier"], flight["flight_number"], DAY),
        source_format="test",
        carrier=flight["carrier"],
        flight_number=flight["flight_number"],
        departure_airport=flight["from"],
        arrival_airport=flight["to"],
        departure_time=DEPARTURE,
        arrival_time=DEPARTURE + timedelta(hours=5),
        flight_date=DAY,
    )
    spec = world["bookings"][0]
    booking_id = make_id("booking", spec["carrier"], spec["record_locator"])
    people = {p["key"]: p for p in world["people"]}
    records: dict[str, Record] = {"leg": leg}
    for key in spec["passengers"]:
        person = people[key]
        records[key] = Passenger(
            id=make_id("passenger", person["passport"]),
            source_format="test",
            full_name=(f"{person['given_names']} {person['surname']}"),
            surname=person["surname"],
            given_names=person["given_names"],
            nationality=person["nationality"],
            documents=[
                TravelDocument(doc_type="P", number=person["passport"], issuing_country=person["passport_country"])
            ],
            phones=[person["phone"]],
            emails=[person["email"]],
            address=_address(person["address"]),
            booking_id=booking_id,
            record_locator=spec["record_locator"],
            flight_leg_ids=[leg.id],
            embarkation=flight["from"],
            debarkation=flight["to"],
        )
    hit = ScreeningHit(
        entry_id=listed["id"],
        list_name=listed["list"],
        matched_name=listed["name"],
        query_name=listed["name"],
        score=0.97,
        explanation="all name parts match",
        schema_name=listed["schema"],
        field="payer_name",
    )
    records["booking"] = Booking(
        id=booking_id,
        source_format="test",
        record_locator=spec["record_locator"],
        carrier=spec["carrier"],
        created_at=DEPARTURE - timedelta(hours=spec["booked_hours_before_departure"]),
        passenger_ids=[records[k].id for k in spec["passengers"]],
        flight_leg_ids=[leg.id],
        route=[flight["from"], flight["to"]],
        one_way=spec["one_way"],
        form_of_payment=spec["form_of_payment"],
        payer_name=listed["name"],
        screening=[hit],
    )
    for company in world["companies"]:
        records[company["key"]] = Party(
            id=make_id("party", company["name"]),
            source_format="test",
            name=company["name"],
            schema_name="Company",
            roles=[company["role"]],
            address=_address(company["address"]),
            phones=[company["phone"]],
            emails=[company["email"]],
            received_at=datetime(2026, 11, 20, tzinfo=UTC),
        )
    shipment = world["consignments"][0]
    shipper, consignee = records[shipment["shipper"]], records[shipment["consignee"]]
    assert isinstance(shipper, Party) and isinstance(consignee, Party)
    records["consignment"] = Consignment(
        id=make_id("consignment", shipment["awb"]),
        source_format="test",
        transport_document=shipment["awb"],
        document_type="MAWB",
        transport_mode="air",
        origin=shipment["origin"],
        destination=shipment["destination"],
        port_of_arrival=shipment["destination"],
        arrival_date=DAY,
        shipper_id=shipper.id,
        consignee_id=consignee.id,
        shipper_name=shipper.name,
        consignee_name=consignee.name,
        total_pieces=shipment["pieces"],
        total_weight_kg=shipment["weight_kg"],
        declared_value=shipment["declared_value"],
        currency=shipment["currency"],
        goods=[
            GoodsItem(
                description=shipment["description"],
                hs_code=shipment["hs_code"],
                gross_weight_kg=shipment["weight_kg"],
                value=shipment["declared_value"],
            )
        ],
        received_at=datetime(2026, 11, 24, tzinfo=UTC),
    )
    market = world["web"]["marketplace"]
    records["marketplace"] = CrawledPage(
        id=make_id("crawled_page", "market"),
        source_format="test",
        url="http://market.test/1",
        canonical_url="http://market.test/1",
        source_name="market",
        kind="listing",
        title=market["title"],
        seller=market["seller"],
        phones=[market["phone"]],
        ship_from=market["ship_from"],
        reliability="C",  # graded like the fixture site's marketplace source (crawlers/sources)
        credibility=3,
    )
    news = world["web"]["news"]
    records["news"] = CrawledPage(
        id=make_id("crawled_page", "news"),
        source_format="test",
        url="http://news.test/1",
        canonical_url="http://news.test/1",
        source_name="news",
        kind="article",
        title=news["title"],
        text=" ".join(news["mentions"]),
        mentions=[Mention(label="ORG", text=name, start=0, end=len(name)) for name in news["mentions"][:2]],
    )
    return records


def bystanders() -> list[Record]:
    """Ordinary travellers and consignments for the same port and day."""
    records: list[Record] = []
    for number in range(12):
        records.append(
            Passenger(
                id=make_id("passenger", "bystander", number),
                source_format="test",
                full_name=f"TRAVELLER {number}",
                phones=[f"+8190000000{number:02d}"],
                debarkation="NRT",
                embarkation="HKG",
                received_at=datetime(2026, 11, 25, tzinfo=UTC),
            )
        )
        records.append(
            Consignment(
                id=make_id("consignment", "bystander", number),
                source_format="test",
                transport_document=f"160-{number:07d}0",
                transport_mode="air",
                destination="NRT",
                arrival_date=DAY,
                consignee_name=f"ORDINARY IMPORTS {number}",
                total_weight_kg=100,
                declared_value=9000,
                goods=[GoodsItem(description="PORTABLE COMPUTERS", hs_code="847130", gross_weight_kg=100, value=9000)],
            )
        )
    return records


@pytest.fixture(scope="module")
def world() -> tuple[dict[str, Record], dict[str, Node], InMemoryGraph]:
    records = planted_records()
    graph = InMemoryGraph()
    for record in [*records.values(), *bystanders()]:
        graph.add(*links_of(record))
    nodes = {node.id: node for node in propagate_risk(graph.all())}
    graph.replace_nodes(nodes.values())
    return records, nodes, graph


PHONE_PATH = (
    "consignee PACIFIC RIM PRECISION MACHINERY LTD shares a phone (+85291234567) with traveller "
    "DMITRI VOLKOV, whose booking QX7P2M was paid by KOREA MINING DEVELOPMENT TRADING CORPORATION, "
    "which is listed on OFAC SDN (match 0.97)"
)


def test_consignee_lights_up_with_the_phone_and_payer_path(world: Any) -> None:
    records, nodes, _ = world
    consignee = nodes[records["c-pacific-rim"].id]
    assert consignee.graph_risk > 0.5
    assert consignee.risk_explanation == PHONE_PATH


def test_marketplace_listing_shares_the_phone_written_differently(world: Any) -> None:
    records, nodes, _ = world
    page = nodes[records["marketplace"].id]
    # The page's phone counts as much as its C3 grade allows (~half of an A1 source's): 0.64 ungraded-A1.
    assert page.graph_risk > 0.5 * grade_weight("C", 3)
    assert "shares a phone (+85291234567) with traveller DMITRI VOLKOV" in (page.risk_explanation or "")


def test_bystanders_carry_no_graph_risk(world: Any) -> None:
    _, nodes, _ = world
    for number in range(12):
        assert nodes[make_id("passenger", "bystander", number)].graph_risk == 0.0


def test_consignment_paths_to_the_sdn_entry(world: Any) -> None:
    records, _, graph = world
    paths = paths_to_watchlist(graph.all(), records["consignment"].id)
    assert paths, "the consignment must reach the SDN entry"
    best = paths[0]
    assert best.sentence.startswith("consignment 160-12345675 is consigned to consignee PACIFIC RIM")
    assert "shares a phone (+85291234567) with traveller DMITRI VOLKOV" in best.sentence
    assert best.sentence.endswith("which is listed on OFAC SDN (match 0.97)")
    assert all(a.risk >= b.risk for a, b in itertools.pairwise(paths))


def _scores(world: Any) -> list[TargetScore]:
    records, nodes, _ = world
    rules = RuleBook().current()
    leg = records["leg"]
    parties = {r.id: r for r in records.values() if isinstance(r, Party)}
    scores = []
    for record in [*records.values(), *bystanders()]:
        if isinstance(record, Passenger):
            booking = records["booking"] if record.booking_id == records["booking"].id else None
            related = Related(
                booking=booking,
                flights=[leg] if record.flight_leg_ids else [],
                graph_node=nodes.get(record.id),
            )
        elif isinstance(record, Consignment):
            related = Related(parties=parties, graph_node=nodes.get(record.id))
        else:
            continue
        scores.append(score_record(record, related, rules))
    return scores


def test_planted_targets_top_the_queue_with_explanations(world: Any) -> None:
    records, _, _ = world
    queue = build_queue(_scores(world), Capacity(xray=3, exams=2), port="NRT", day=DAY, random_share=0.0)
    top = {pick.record_id for pick in queue.picks[:3]}
    assert {records["p-volkov"].id, records["consignment"].id} <= top
    by_id = {pick.record_id: pick for pick in queue.picks}
    volkov = by_id[records["p-volkov"].id]
    assert volkov.selection == "model"
    assert any("KOREA MINING DEVELOPMENT TRADING CORPORATION" in line for line in volkov.explanation)
    assert any("One-way ticket paid in cash" in line for line in volkov.explanation)
    cargo = by_id[records["consignment"].id]
    assert any(PHONE_PATH.split(" shares")[1][:40] in line for line in cargo.explanation)
    assert any("described as parts" in line for line in cargo.explanation)
    assert cargo.expected_revenue > 0
    assert all(pick.reason for pick in queue.picks)


def test_planted_traveller_raises_an_alert_bystanders_do_not(world: Any) -> None:
    records, _, _ = world
    scores = {s.record_id: s for s in _scores(world)}
    alert = alert_for(scores[records["p-volkov"].id], threshold=0.7)
    assert alert is not None and alert.severity == "critical"
    assert any("OFAC SDN" in line for line in alert.explanation)
    for number in range(12):
        assert alert_for(scores[make_id("passenger", "bystander", number)], threshold=0.7) is None


@pytest.fixture(scope="module")
def planted_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("planted") / "records.jsonl"
    records = [*planted_records().values(), *bystanders()]
    path.write_text("".join(r.model_dump_json(exclude_none=True) + "\n" for r in records))
    return path


def test_cli_queue_prints_the_explained_queue(planted_file: Path) -> None:
    from typer.testing import CliRunner

    from sekisho.cli import app

    common = [
        "targeting",
        "queue",
        "--port",
        "NRT",
        "--date",
        DAY.isoformat(),
        "--records",
        str(planted_file),
    ]
    shown = CliRunner().invoke(app, [*common, "--xray", "3", "--exams", "2"], env={"COLUMNS": "200"})
    assert shown.exit_code == 0, shown.output
    assert "Inspection queue NRT 2026-11-25" in shown.output and "DMITRI VOLKOV" in shown.output
    assert "OFAC SDN" in shown.output
    assert "[described as parts (MACHINE PARTS)" in shown.output  # printed as text, not read as markup
    raw = CliRunner().invoke(app, [*common, "--xray", "3", "--exams", "2", "--random-share", "0", "--json"])
    picks = json.loads(raw.output)["picks"]
    volkov = planted_records()["p-volkov"].id
    assert volkov in [p["record_id"] for p in picks[:3]]


def test_cli_graph_explain_prints_the_path(planted_file: Path) -> None:
    from typer.testing import CliRunner

    from sekisho.cli import app

    consignee = planted_records()["c-pacific-rim"].id
    shown = CliRunner().invoke(app, ["graph", "explain", consignee, "--records", str(planted_file), "--json"])
    assert shown.exit_code == 0, shown.output
    paths = json.loads(shown.output)
    assert paths[0]["sentence"] == PHONE_PATH
    missing = CliRunner().invoke(app, ["graph", "explain", "nope", "--records", str(planted_file)])
    assert missing.exit_code == 1


def test_cli_score_and_rules(planted_file: Path, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from sekisho.cli import app

    volkov = planted_records()["p-volkov"].id
    shown = CliRunner().invoke(
        app, ["targeting", "score", volkov, "--records", str(planted_file), "--facts"], env={"COLUMNS": "200"}
    )
    assert shown.exit_code == 0, shown.output
    assert "DMITRI VOLKOV" in shown.output and "graph" in shown.output
    assert '"booking.hours_before_departure": 30.0' in shown.output
    listed = CliRunner().invoke(app, ["targeting", "rules"], env={"COLUMNS": "200"})
    assert listed.exit_code == 0 and "pax-one-way-cash-late" in listed.output
    (tmp_path / "bad.yaml").write_text("rules: [{id: x, title: X, when: {a: {near: 1}}}]")
    broken = CliRunner().invoke(app, ["targeting", "rules", str(tmp_path)])
    assert broken.exit_code == 2 and "unknown operator" in broken.output


def test_cli_graph_neighbours(planted_file: Path) -> None:
    from typer.testing import CliRunner

    from sekisho.cli import app

    volkov = planted_records()["p-volkov"].id
    shown = CliRunner().invoke(
        app, ["graph", "neighbours", volkov, "--records", str(planted_file)], env={"COLUMNS": "200"}
    )
    assert shown.exit_code == 0, shown.output
    assert "+85291234567" in shown.output and "booking QX7P2M" in shown.output
