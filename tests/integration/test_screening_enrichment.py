"""Identifier and screening stages from the stream's enrichment chain, stored in the real Elasticsearch."""

from __future__ import annotations

from datetime import date

import pytest

from pipeline.chain import build_chain
from schemas.records import Consignment, Passenger, TravelDocument, record_from_dict
from sekisho import es_io
from sekisho.settings import Settings

pytestmark = pytest.mark.integration


def test_screened_records_keep_their_hits_and_identifiers_in_elasticsearch(stack: Settings) -> None:
    chain = build_chain(stack, {"identifiers", "screening"})
    assert [name for name, _ in chain.stages] == ["identifiers", "screening"]
    passenger = Passenger(
        id="passenger-screening-it",
        source_format="test",
        full_name="ZAWAHIRI, Ayman",
        date_of_birth=date(1951, 6, 19),
        documents=[TravelDocument(doc_type="P", number="1084010", issuing_country="EG")],
        phones=["+20 2 2345 6789"],
    )
    consignment = Consignment(
        id="consignment-screening-it",
        source_format="test",
        transport_document="BL-1",
        vessel_imo="IMO 9187629",
        containers=["CSQU3054383"],
        shipper_name="Harmless Exports Ltd",
    )
    enriched = chain.apply_batch([passenger, consignment])
    es_io.write_records(enriched, stack)
    es_io.refresh(stack)

    stored_passenger = es_io.get("passenger", passenger.id, stack)
    assert stored_passenger is not None
    back = record_from_dict(stored_passenger)
    assert back.screening and back.screening[0].entry_id == "ofac-sdn:2676"
    assert "passport 1084010" in back.screening[0].explanation
    assert {(i.scheme, i.value) for i in back.identifiers} >= {("passport", "1084010"), ("phone", "+20223456789")}

    stored_consignment = es_io.get("consignment", consignment.id, stack)
    assert stored_consignment is not None
    vessel_hits = [hit for hit in stored_consignment["screening"] if hit["field"] == "vessel_imo"]
    assert vessel_hits and vessel_hits[0]["entry_id"] == "ofac-sdn:15036"
    assert {"scheme": "container", "value": "CSQU3054383", "valid": True, "source_field": "containers"} in (
        stored_consignment["identifiers"]
    )
    # Hits are searchable by list entry for the analyst view.
    found = es_io.count("passenger", stack, {"term": {"screening.entry_id": "ofac-sdn:2676"}})
    assert found == 1
