"""Assembles the per-record enrichment stages from what is installed and configured.

Each enricher lives in ``enrichment/`` behind a small protocol; this module only decides which of them
run, in which order, and loads their models once per worker.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from typing import Any

from sekisho.settings import Settings, get_settings
from streams.pipeline import BatchStage, StageChain

log = logging.getLogger(__name__)


def _optional(module: str, factory: str) -> Callable[[Settings], BatchStage | None] | None:
    try:
        mod = importlib.import_module(module)
    except ImportError:
        return None
    fn: Any = getattr(mod, factory, None)
    return fn if callable(fn) else None


# (stage name, module, factory returning a batch stage, or None when its model is absent)
ENRICHERS: list[tuple[str, str, str]] = [
    ("identifiers", "enrichment.stages", "identifiers_stage"),
    ("ner", "enrichment.stages", "ner_stage"),
    ("screening", "enrichment.stages", "screening_stage"),
    ("risk", "enrichment.stages", "risk_stage"),
]


def build_chain(enabled: set[str] | None = None, settings: Settings | None = None) -> StageChain:
    """The enrichment stages for ``settings`` (the worker's copy of the job's settings)."""
    s = settings or get_settings()
    chain = StageChain()
    for name, module, factory in ENRICHERS:
        if enabled is not None and name not in enabled:
            continue
        make = _optional(module, factory)
        if make is None:
            continue
        try:
            stage = make(s)
        except Exception as exc:  # a missing model disables its stage, loudly, not the pipeline
            log.warning("enrichment stage %s unavailable: %s", name, exc)
            continue
        if stage is not None:
            chain.stages.append((name, stage))
    return chain
