"""The targeting worker on canonical entities: records of one consignment from several feeds alert once."""

from __future__ import annotations

from schemas.records import Consignment, ScreeningHit
from sekisho.settings import get_settings
from targeting.alerts import MemorySubscriptions
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
