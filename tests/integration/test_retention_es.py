"""The PNR retention job on the real Elasticsearch: records of different ages are masked, deleted or kept."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
from typer.testing import CliRunner

from feeds import MessageContext, parse_message
from scenario import WorldSpec, build_world, render
from schemas.records import Booking, Passenger, Record, Rejection
from sekisho import es_io
from sekisho.settings import Settings, get_settings
from targeting import retention

pytestmark = pytest.mark.integration

AS_OF = datetime(2026, 11, 25, tzinfo=UTC)
AGES = {"fresh": timedelta(days=30), "old": timedelta(days=300), "ancient": timedelta(days=6 * 365)}


@pytest.fixture(scope="module")
def es(stack: Settings) -> Iterator[Settings]:
    """A namespace of its own: the job works on whole indices and must not touch other tests' records."""
    settings = stack.model_copy(update={"namespace": f"{stack.namespace}ret"})
    es_io.ensure_indices(settings)
    yield settings
    es_io.delete_namespace(settings)


def _pnr_records() -> list[Record]:
    world = build_world(WorldSpec(travellers=12, consignments=0, declarations=0, seed=8, day=date(2026, 11, 25)))
    records: list[Record] = []
    for message in render(world):
        if message.format in ("pnrgov", "paxlst"):
            records += parse_message(message.payload, MessageContext(source=message.path))
    truncated = b"UNA:+.? '\nUNB+IATA:1+CX+JPCUSTOMS+261125:0930+1'\nUNH+1+PNRGOV:13:1:IA+1'\nTIF+VOLKOV+DMITRIMR:A:1'"
    records += parse_message(truncated, MessageContext(source="truncated.edi"))  # a PNR dead letter
    return [r for r in records if isinstance(r, Booking | Passenger | Rejection)]


@pytest.fixture(scope="module")
def indexed(es: Settings) -> dict[str, dict[str, Record]]:
    """The same PNR push stored three times over with different ages (distinct ids per age)."""
    by_age: dict[str, dict[str, Record]] = {}
    for label, age in AGES.items():
        aged = [r.model_copy(update={"id": f"{r.id}-{label}", "received_at": AS_OF - age}) for r in _pnr_records()]
        by_age[label] = {r.id: r for r in aged}
        es_io.write_records(aged, es)
    es_io.refresh(es)
    return by_age


def _stored(es: Settings, record: Record) -> dict[str, object] | None:
    return es_io.get(record.record_type, record.id, es)


def test_dry_run_counts_without_changing_anything(es: Settings, indexed: dict[str, dict[str, Record]]) -> None:
    pnr = [r for r in indexed["old"].values() if r.source_format == "pnrgov"]
    counts = retention.apply(AS_OF, dry_run=True, settings=es)
    assert counts["booking.depersonalised"] == sum(isinstance(r, Booking) for r in pnr)
    assert counts["passenger.depersonalised"] == sum(isinstance(r, Passenger) for r in pnr)
    assert counts["booking.deleted"] == counts["booking.depersonalised"]
    assert counts["rejection.depersonalised"] == counts["rejection.deleted"] == 1
    ancient = next(iter(indexed["ancient"].values()))
    assert _stored(es, ancient) is not None


def test_apply_masks_old_deletes_ancient_and_keeps_the_rest(es: Settings,
                                                            indexed: dict[str, dict[str, Record]]) -> None:
    counts = retention.apply(AS_OF, settings=es)
    assert counts["booking.depersonalised"] > 0 and counts["passenger.deleted"] > 0
    for record in indexed["ancient"].values():
        stored = _stored(es, record)
        if record.source_format == "pnrgov":
            assert stored is None, record.id
        else:  # API passengers are outside the PNR policy
            assert stored is not None
    for record in indexed["old"].values():
        stored = _stored(es, record)
        assert stored is not None
        if record.source_format != "pnrgov":
            assert isinstance(record, Passenger) and stored["full_name"] == record.full_name
            continue
        assert stored["id"] == record.id
        if isinstance(record, Rejection):
            assert stored["detail"] == retention.MASKED_DETAIL and "raw" not in stored
            assert stored["raw_sha256"] == record.raw_sha256
        elif isinstance(record, Booking):
            assert str(stored["depersonalised_at"]).startswith("2026-11-25")
            assert stored.get("phones", []) == [] and stored.get("emails", []) == []
            assert "form_of_payment" not in stored
            assert stored["record_locator"] == record.record_locator and stored["route"] == record.route
        else:
            assert stored["full_name"] == retention.MASKED_NAME
            assert stored.get("documents", []) == [] and "surname" not in stored and "date_of_birth" not in stored
    for record in indexed["fresh"].values():
        assert _stored(es, record) == json.loads(es_io.document_json(record))
    planted = next(r for r in indexed["old"].values() if isinstance(r, Booking) and r.record_locator == "QX7P2M")
    hits = es_io.search("booking", {"term": {"phones": "+85291234567"}}, es)
    assert planted.id not in {h["_id"] for h in hits}


def test_a_second_run_has_nothing_left_to_do(es: Settings, indexed: dict[str, dict[str, Record]]) -> None:
    counts = retention.apply(AS_OF, settings=es)
    assert set(counts.values()) == {0}


def test_cli_reports_counts_as_json(es: Settings, indexed: dict[str, dict[str, Record]],
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    from sekisho.cli import app

    monkeypatch.setenv("SEKISHO_NAMESPACE", es.namespace)
    get_settings.cache_clear()
    try:
        later = (AS_OF + timedelta(days=400)).date().isoformat()
        result = CliRunner().invoke(app, ["retention", "apply", "--as-of", later, "--dry-run", "--json"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    counts = json.loads(result.stdout)
    assert counts["dry_run"] is True
    # 400 days on, last month's fresh records are due for masking too
    fresh = [r for r in indexed["fresh"].values() if r.source_format == "pnrgov" and isinstance(r, Booking)]
    assert counts["booking.depersonalised"] == len(fresh)
