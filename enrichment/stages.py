"""Factories of the per-record enrichment stages the stream runs (see ``streams/enrichment_chain.py``).

Each factory loads its model once (per Flink worker) and returns a ``Record -> Record`` function, or
``None`` when its model has not been trained/installed here, so the stream runs with what exists.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path

from schemas.records import Consignment, Declaration, Record
from sekisho.settings import get_settings

Stage = Callable[[Record], Record]


def identifiers_stage() -> Stage:
    from enrichment.identifiers import extract_identifiers

    region = get_settings().phone_region
    return partial(extract_identifiers, default_region=region)


def ner_model_path() -> Path:
    settings = get_settings()
    return settings.ner_model_dir or settings.model_dir / "ner"


def ner_stage() -> Stage | None:
    path = ner_model_path()
    if not path.exists():
        return None
    from enrichment.ner.recognizer import load_recognizer
    from enrichment.ner.record_tagging import tag_record

    recognizer = load_recognizer(path, threads=1)
    return partial(tag_record, recognizer=recognizer)


def screening_stage() -> Stage:
    from enrichment.screening.index import load_index
    from enrichment.screening.stage import screen_record

    settings = get_settings()
    index = load_index(settings.watchlist_dir, settings.home / "cache" / "screening")
    return partial(screen_record, index=index)


def risk_model_path() -> Path:
    return get_settings().model_dir / "risk"


def risk_stage() -> Stage | None:
    path = risk_model_path()
    if not path.exists():
        return None
    from enrichment.risk.scorer import load_scorer, score_consignment, score_declaration

    scorer = load_scorer(path)

    def score(record: Record) -> Record:
        if isinstance(record, Declaration):
            return score_declaration(record, scorer)
        if isinstance(record, Consignment):
            return score_consignment(record, scorer)
        return record

    return score
