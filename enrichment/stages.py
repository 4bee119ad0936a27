"""Factories of the enrichment stages the stream runs (see ``streams/enrichment_chain.py``).

Each factory loads its model once (per Flink worker) and returns a batch stage (records in, records
out, same order), or ``None`` when its model has not been trained/installed here, so the stream runs
with what exists. Model-backed stages (NER, risk) make one model call per batch.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path

from schemas.records import Record
from sekisho.settings import Settings, get_settings
from streams.pipeline import per_record

Stage = Callable[[list[Record]], list[Record]]


def identifiers_stage(settings: Settings) -> Stage:
    from enrichment.identifiers import extract_identifiers

    return per_record(partial(extract_identifiers, default_region=settings.phone_region), "identifiers")


def ner_training_path(settings: Settings | None = None) -> Path:
    """Where `sekisho ner train` writes by default: the ``ner_model_dir`` setting, else ``model_dir/ner``."""
    s = settings or get_settings()
    return s.ner_model_dir or s.model_dir / "ner"


def ner_model_path(settings: Settings | None = None) -> Path:
    """The NER model to run: a locally trained one when present, else the one shipped in the repository."""
    from enrichment.ner.model import SHIPPED_MODEL

    s = settings or get_settings()
    if s.ner_model_dir is not None:
        return s.ner_model_dir
    trained = s.model_dir / "ner"
    return trained if trained.exists() else SHIPPED_MODEL


def ner_stage(settings: Settings) -> Stage | None:
    path = ner_model_path(settings)
    if not path.exists():
        return None
    from enrichment.ner.recognizer import load_recognizer
    from enrichment.ner.record_tagging import tag_records

    recognizer = load_recognizer(path, threads=1)
    return partial(tag_records, recognizer=recognizer)


def screening_stage(settings: Settings) -> Stage:
    from enrichment.screening.index import load_index
    from enrichment.screening.stage import screen_record

    index = load_index(settings.watchlist_dir, settings.home / "cache" / "screening")
    screen = partial(screen_record, index=index, threshold=settings.screening_threshold,
                     max_hits=settings.screening_max_hits)
    return per_record(screen, "screening")


def risk_model_path(settings: Settings | None = None) -> Path:
    return (settings or get_settings()).model_dir / "risk"


def risk_stage(settings: Settings) -> Stage | None:
    path = risk_model_path(settings)
    if not path.exists():
        return None
    from enrichment.risk.scorer import load_scorer, score_records

    return partial(score_records, scorer=load_scorer(path))
