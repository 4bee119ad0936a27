"""Analysts' screening decisions as the stream reads them: from their Elasticsearch index, refreshed while
the stream runs, handed to the screening stage by the entry point (``streams.jobs.ingest_job``)."""

from __future__ import annotations

from enrichment.screening.decisions import RefreshingClearedPairs
from schemas.documents import ScreeningDecision
from schemas.indexed import SCREENING_DECISION_TYPE
from sekisho import es_io
from sekisho.settings import Settings

REFRESH_S = 60.0  # a decision taken in the API reaches the stream within this delay


def stored_decisions(settings: Settings) -> list[ScreeningDecision]:
    """Every screening decision kept (reversed ones included: the latest of a pair is the one in force)."""
    return [ScreeningDecision.model_validate(doc) for doc in es_io.scan(SCREENING_DECISION_TYPE, None, settings)]


def cleared_pairs(settings: Settings, every_s: float = REFRESH_S) -> RefreshingClearedPairs:
    return RefreshingClearedPairs(lambda: stored_decisions(settings), every_s)
