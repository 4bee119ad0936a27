"""Source grades in the graph and the targeting score: a web finding counts as much as its source's grade.

The same finding (a marketplace listing whose seller matches a sanctions entry and which shows the phone
of an arriving traveller) comes once from an A1 source and once from an F6 source; the traveller's score
must rise less for the F6 finding. Facts derived from the page (the alert it raises, the names found on
it) carry the page's evidence link: archived copy, digest and grade.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from enrichment.ner.gazetteer import GazetteerRecognizer
from enrichment.ner.record_tagging import tag_records
from graph.links import links_of
from schemas.documents import Alert
from schemas.grading import grade_weight, parse_grade
from schemas.records import Booking, CrawledPage, Evidence, EvidenceLink, Passenger, ScreeningHit
from targeting.alerts import alert_for
from targeting.scoring import score_record
from targeting.sources import MemorySource, related_for

PHONE = "+85291234567"
EVIDENCE = Evidence(
    warc_file="sekisho-20260302093000-1-abc123-00001.warc.gz",
    offset=1234,
    length=900,
    digest="sha1:JDHYA5TD3VOXA5SY23OQRYQLKO7LFBQK",
    warc_record_id="<urn:uuid:47c5f86c-9e51-405c-9807-c76f3600b95c>",
    fetched_at=datetime(2026, 3, 2, 9, 30, tzinfo=UTC),
)


def listing(grade: str) -> CrawledPage:
    reliability, credibility = parse_grade(grade)
    return CrawledPage(
        id=f"crawled_page-{grade}",
        source_format="web",
        url="http://market.example/listing/1001.html",
        canonical_url="http://market.example/listing/1001.html",
        source_name="market",
        kind="listing",
        title="CNC spindles, no export papers needed",
        seller="Golden Dragon Trading",
        phones=[PHONE],
        reliability=reliability,
        credibility=credibility,
        evidence=EVIDENCE,
        screening=[
            ScreeningHit(
                entry_id="sdn-1",
                list_name="OFAC SDN",
                matched_name="GOLDEN DRAGON TRADING",
                query_name="Golden Dragon Trading",
                score=0.95,
                explanation="name",
                field="seller",
            )
        ],
    )


TRAVELLER = Passenger(id="passenger-1", source_format="paxlst", full_name="Ivan Petrov", phones=[PHONE])


def traveller_score(grade: str) -> tuple[float, float]:
    """(targeting score, graph part) of the traveller with the finding graded ``grade``."""
    source = MemorySource([TRAVELLER, listing(grade)])
    scored = score_record(TRAVELLER, related_for(TRAVELLER, source))
    return scored.score, scored.part("graph").value


def test_grade_weights_follow_the_scale() -> None:
    assert grade_weight("A", 1) == 1.0
    assert grade_weight("A", 1) > grade_weight("B", 2) > grade_weight("C", 3) > grade_weight("F", 6)
    assert grade_weight(None, None) == grade_weight("F", 6)  # ungraded counts as "cannot be judged"
    with pytest.raises(ValueError, match="not a source grade"):
        parse_grade("G7")


def test_edges_of_a_page_carry_its_grade_and_evidence() -> None:
    _, strong = links_of(listing("A1"))
    _, weak = links_of(listing("F6"))
    phone_a1 = next(e for e in strong if e.kind == "has_phone")
    phone_f6 = next(e for e in weak if e.kind == "has_phone")
    assert (phone_a1.grade, phone_a1.evidence) == ("A1", EVIDENCE.id)
    assert phone_f6.grade == "F6" and phone_f6.weight == pytest.approx(grade_weight("F", 6))
    assert phone_a1.weight == 1.0
    # The screening match is Sekisho's finding about the seller's name: not weighed by the page's grade.
    assert next(e for e in weak if e.kind == "matched_to").weight == 0.95


def test_an_f6_finding_lifts_a_target_less_than_an_a1_finding() -> None:
    score_a1, graph_a1 = traveller_score("A1")
    score_c3, graph_c3 = traveller_score("C3")
    score_f6, graph_f6 = traveller_score("F6")
    unlinked = score_record(TRAVELLER, related_for(TRAVELLER, MemorySource([TRAVELLER]))).score
    assert graph_a1 > graph_c3 > graph_f6
    assert score_a1 > score_c3 > score_f6 >= unlinked
    assert score_a1 - unlinked > 3 * (score_f6 - unlinked)


def test_an_alert_resting_on_a_web_finding_carries_its_evidence_and_grade() -> None:
    source = MemorySource([TRAVELLER, listing("C3")])
    scored = score_record(TRAVELLER, related_for(TRAVELLER, source))
    alert = alert_for(scored, threshold=0.01)  # a C3 finding lifts the traveller a little (see above)
    assert alert is not None
    # The graph path runs traveller -> phone -> listing -> sanctions entry: the listing's copy backs it.
    assert [link.source_record for link in alert.evidence] == ["crawled_page-C3"]
    link = alert.evidence[0]
    assert (link.warc_file, link.offset, link.digest, link.grade) == (
        EVIDENCE.warc_file,
        EVIDENCE.offset,
        EVIDENCE.digest,
        "C3",
    )
    # Stored and served as JSON: the pointer and the grade survive the round trip.
    assert Alert.model_validate_json(alert.model_dump_json()).evidence == alert.evidence


def test_an_alert_without_web_findings_on_its_path_carries_no_evidence() -> None:
    unarchived = listing("A1").model_copy(update={"evidence": None})
    scored = score_record(TRAVELLER, related_for(TRAVELLER, MemorySource([TRAVELLER, unarchived])))
    alert = alert_for(scored, threshold=0.1)
    assert alert is not None and alert.graph_path and alert.evidence == []


def test_mentions_found_on_a_crawled_page_point_to_its_copy_and_grade() -> None:
    recognizer = GazetteerRecognizer({("Golden", "Dragon", "Trading"): "ORG", ("Ivan", "Petrov"): "PER"})
    page = listing("B2").model_copy(update={"text": "Ask Ivan Petrov at Golden Dragon Trading for spindles."})
    booking = Booking(
        id="booking-1", source_format="pnrgov", record_locator="ABC123", remarks=["Ivan Petrov travels with tools"]
    )
    tagged_page, tagged_booking = tag_records([page, booking], recognizer)
    assert {m.text for m in tagged_page.mentions} == {"Ivan Petrov", "Golden Dragon Trading"}
    for mention in tagged_page.mentions:
        assert mention.evidence == EvidenceLink(
            evidence=EVIDENCE.id, digest=EVIDENCE.digest, grade="B2", source_record=page.id
        )
    # A mention in a booking remark is no web finding: no evidence link.
    assert [m.evidence for m in tagged_booking.mentions] == [None]
