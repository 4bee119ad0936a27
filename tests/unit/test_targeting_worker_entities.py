"""The targeting worker on canonical entities: records of one consignment from several feeds alert once."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from schemas.records import Booking, Consignment, Passenger, ScreeningHit, TravelDocument
from sekisho.settings import get_settings
from targeting.alerts import MemorySubscriptions
from targeting.facts import entity_facts
from targeting.rules import RuleBook
from targeting.sources import MemorySource
from targeting.worker import TargetingWorker


def consignment(key: str, awb: str, consignee: str | None) -> Consignment:
    hit = ScreeningHit(entry_id="sdn-1", list_name="OFAC SDN", matched_name="PACIFIC RIM", query_name="PACIFIC RIM",
                       score=0.95, explanation="name matches", field="consignee_name")
    return Consignment(id=f"consignment-{key}", source_format="cargo-imp", transport_document=awb,
                       consignee_name=consignee, screening=[hit] if consignee else [])


def test_one_alert_per_consignment_whatever_the_feeds() -> None:
    settings = get_settings()
    worker = TargetingWorker(
        settings, rules=RuleBook(settings.targeting_rules_dir), subscriptions=MemorySubscriptions(),
        source=MemorySource([]), link_graph=False, publish_alerts=False, index_alerts=False,
    )
    try:
        waybill = consignment("fwb", "160-12345675", "PACIFIC RIM PRECISION MACHINERY LTD")
        manifest = consignment("ffm", "16012345675", None)
        first = worker.handle_batch([manifest])
        assert first.alerts == [] and first.scores[0].target_key == "entity:consignment-ffm"
        # The waybill completes the pair: one entity, keyed by its smallest record id.
        second = worker.handle_batch([waybill, manifest])
        assert worker.resolver is not None and worker.resolver.entity_of(manifest.id) == "consignment-ffm"
        assert worker.resolver.entity_of(waybill.id) == "consignment-ffm"
        assert [alert.key for alert in second.alerts] == ["consignment:consignment-ffm"]
        assert second.alerts[0].record_id == waybill.id  # the best-scored record stands for the entity
        assert {score.target_key for score in second.scores} == {"entity:consignment-ffm"}
        again = worker.handle_batch([waybill])  # the same evidence again: no second alert
        assert again.alerts == [] and len(again.suppressed) == 1
    finally:
        worker.close()


CASH_RU_RULE = """
rules:
  - id: cash-ru
    title: paid cash, Russian passport
    applies_to: [passenger]
    weight: 0.5
    when:
      all:
        - booking.paid_cash: {eq: true}
        - passenger.nationality: {eq: RU}
"""


def test_rules_see_the_entity_not_one_feeds_record(tmp_path: Path) -> None:
    # The API record knows the passport's nationality, the PNR the cash payment: only the entity has both.
    (tmp_path / "entity.yaml").write_text(CASH_RU_RULE, encoding="utf-8")
    passport = [TravelDocument(doc_type="P", number="753912468", issuing_country="RU")]
    api = Passenger(id="passenger-api-volkov", source_format="paxlst", full_name="DMITRI VOLKOV",
                    given_names="DMITRI", surname="VOLKOV", nationality="RU", date_of_birth=date(1979, 3, 14),
                    documents=passport, flight_leg_ids=["flight_leg-cx500"])
    booking = Booking(id="booking-qx7p2m", source_format="pnrgov", record_locator="QX7P2M", form_of_payment="CA",
                      passenger_ids=["passenger-pnr-volkov"])
    pnr = Passenger(id="passenger-pnr-volkov", source_format="pnrgov", full_name="VOLKOV DMITRIY",
                    given_names="DMITRIY", surname="VOLKOV", date_of_birth=date(1979, 3, 14), documents=passport,
                    booking_id=booking.id, record_locator="QX7P2M", flight_leg_ids=["flight_leg-cx500"])
    settings = get_settings()
    worker = TargetingWorker(
        settings, rules=RuleBook(tmp_path), subscriptions=MemorySubscriptions(),
        source=MemorySource([api]),  # the index, where the API record is by the time the PNR comes
        link_graph=False, publish_alerts=False, index_alerts=False,
    )
    try:
        alone = worker.handle_batch([api])
        assert [hit.rule_id for hit in alone.scores[0].rules] == []
        together = worker.handle_batch([booking, pnr])
        scored = {score.record_id: score for score in together.scores}
        hit = scored[pnr.id].rules[0]
        assert hit.rule_id == "cash-ru" and hit.because == ["booking.paid_cash = True eq True",
                                                            "passenger.nationality = RU eq RU"]
    finally:
        worker.close()


def test_entity_facts_fill_gaps_and_keep_the_worst() -> None:
    own = {"record_type": "passenger", "passenger.nationality": None, "screening.max_score": 0.2,
           "screening.lists": ["A"], "graph.seized": False, "booking.paid_cash": True}
    other = {"record_type": "passenger", "passenger.nationality": "RU", "screening.max_score": 0.9,
             "screening.lists": ["B"], "graph.seized": True, "booking.paid_cash": False}
    merged = entity_facts(own, [other])
    assert merged["passenger.nationality"] == "RU" and merged["screening.max_score"] == 0.9
    assert merged["screening.lists"] == ["A", "B"] and merged["graph.seized"] is True
    assert merged["booking.paid_cash"] is True  # the record's own value stands
    assert merged["entity.records"] == 2
