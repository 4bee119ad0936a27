"""Factories of the enrichment stages the stream runs (ordered by ``pipeline/chain.py``).

Each factory gets the worker's settings (it never looks them up), loads its model once (per Flink
worker) and returns a batch stage (records in, records out, same order), or ``None`` when its model
has not been trained/installed here, so the stream runs with what exists. Model-backed stages (NER,
risk) make one model call per batch.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from schemas.records import Record
from sekisho.list_store import screening_list_dir
from sekisho.settings import Settings

if TYPE_CHECKING:
    from enrichment.screening.decisions import ClearedPairs

log = logging.getLogger(__name__)

RecordStage = Callable[[Record], Record]
BatchStage = Callable[[list[Record]], list[Record]]


def per_record(stage: RecordStage, name: str) -> BatchStage:
    """A batch stage from a per-record one; a record it fails on passes through unenriched."""

    def run(records: list[Record]) -> list[Record]:
        out: list[Record] = []
        for record in records:
            try:
                out.append(stage(record))
            except Exception as exc:  # one odd record must not cost the batch its enrichment
                log.warning("stage %s failed on %s: %s", name, record.id, exc)
                out.append(record)
        return out

    return run


def identifiers_stage(settings: Settings) -> BatchStage:
    from enrichment.identifiers import extract_identifiers

    return per_record(partial(extract_identifiers, default_region=settings.phone_region), "identifiers")


def ner_training_path(settings: Settings) -> Path:
    """Where `sekisho ner train` writes by default: the ``ner_model_dir`` setting, else ``model_dir/ner``."""
    return settings.ner_model_dir or settings.model_dir / "ner"


def ner_model_path(settings: Settings) -> Path:
    """The NER model to run: a locally trained one when present, else the one shipped in the repository."""
    from enrichment.ner.model import SHIPPED_MODEL

    if settings.ner_model_dir is not None:
        return settings.ner_model_dir
    trained = settings.model_dir / "ner"
    return trained if trained.exists() else SHIPPED_MODEL


def ner_onnx_cache(settings: Settings) -> Path:
    """Where the NER model's ONNX Runtime graphs are built and kept (``enrichment/ner/onnx_export.py``)."""
    return settings.home / "cache" / "ner-onnx"


def ner_stage(settings: Settings) -> BatchStage | None:
    path = ner_model_path(settings)
    if not path.exists():
        return None
    from enrichment.ner.recognizer import load_recognizer
    from enrichment.ner.record_tagging import tag_records

    recognizer = load_recognizer(path, threads=1, onnx_cache=ner_onnx_cache(settings))
    return partial(tag_records, recognizer=recognizer)


def screening_lists(settings: Settings) -> Path:
    """The directory screening reads: the bundled snapshot with the crawler's latest files in place."""
    return screening_list_dir(settings.watchlist_dir, settings.list_store_dir, settings.home / "cache" / "lists")


def screening_stage(settings: Settings, cleared: Callable[[], ClearedPairs] | None = None) -> BatchStage:
    """``cleared`` gives the pairs analysts cleared as false positives (read by the entry point)."""
    from enrichment.screening.index import load_index
    from enrichment.screening.stage import screen_record

    index = load_index(screening_lists(settings), settings.home / "cache" / "screening")
    screen = partial(screen_record, index=index, threshold=settings.screening_threshold,
                     max_hits=settings.screening_max_hits, cleared=cleared)
    return per_record(screen, "screening")


def risk_model_path(settings: Settings) -> Path:
    return settings.model_dir / "risk"


def risk_stage(settings: Settings) -> BatchStage | None:
    path = risk_model_path(settings)
    if not path.exists():
        return None
    from enrichment.risk.scorer import load_scorer, score_records

    return partial(score_records, scorer=load_scorer(path))
