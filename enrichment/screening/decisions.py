"""Analysts' decisions on screening hits, as screening applies them: a pair (subject, list entry) cleared
as a false positive is not reported again, until the entry changes.

Screening knows a subject only by what a record says of it, so the subject is keyed by its query: the
normalised name, the schema, the date of birth and the document numbers (``subject_key``). The next
record of the same traveller (another booking, another flight) has the same key; a namesake with
another date of birth does not. A list entry is fingerprinted by its names, dates of birth, countries
and identifiers (``entry_fingerprint``): a decision taken on one version of the entry does not clear
a later version (a new alias, a new date of birth re-opens the pair for review).

Decisions are stored and reviewed by the API (``targeting``); the stream's entry point reads them and
passes them in (``ClearedPairs``), so this package never imports what sits above it.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from enrichment.screening.entries import WatchlistEntry
from schemas.documents import ScreeningDecision

log = logging.getLogger(__name__)


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    kept = "".join(ch if ch.isalnum() else " " for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(sorted(kept.split()))


def subject_key(name: str, schema: str, birth_date: str | None = None,
                identifiers: Iterable[tuple[str, str]] = ()) -> str:
    """The subject a screening query stands for (same traveller, same key; word order and accents aside)."""
    parts = [_fold(name), schema, birth_date or "", ",".join(sorted(f"{s}:{v}" for s, v in identifiers))]
    return "subject-" + hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:24]


def entry_fingerprint(entry: WatchlistEntry) -> str:
    """The content of a list entry a decision was taken on (any change re-opens the decision)."""
    parts = [entry.schema, "|".join(entry.names), "|".join(sorted(entry.birth_dates)),
             "|".join(sorted(entry.countries)), "|".join(sorted(f"{s}:{v}" for s, v in entry.identifiers))]
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:24]


@dataclass
class ClearedPairs:
    """(subject key, entry id) → the entry fingerprint the pair was cleared on, for in-force false positives."""

    pairs: dict[tuple[str, str], str] = field(default_factory=dict)
    suppressed: int = 0  # hits not reported because an analyst cleared them

    @classmethod
    def of(cls, decisions: Iterable[ScreeningDecision]) -> ClearedPairs:
        latest: dict[tuple[str, str], ScreeningDecision] = {}
        for decision in decisions:
            pair = (decision.subject_key, decision.entry_id)
            if pair not in latest or decision.decided_at > latest[pair].decided_at:
                latest[pair] = decision
        return cls({pair: d.entry_fingerprint for pair, d in latest.items()
                    if d.in_force and d.verdict == "false_positive"})

    def clears(self, subject: str, entry: WatchlistEntry) -> bool:
        fingerprint = self.pairs.get((subject, entry.entry_id))
        if fingerprint is None:
            return False
        if fingerprint != entry_fingerprint(entry):
            return False  # the entry changed since: the pair is reported (and reviewed) again
        self.suppressed += 1
        return True


class RefreshingClearedPairs:
    """``ClearedPairs`` re-read every ``every_s`` seconds, for a long-running stream: a decision taken in
    the API reaches screening within that delay. A failed read keeps the last pairs and is logged."""

    def __init__(self, load: Callable[[], Iterable[ScreeningDecision]], every_s: float = 60.0) -> None:
        self.load = load
        self.every_s = every_s
        self._pairs = ClearedPairs()
        self._read_at = float("-inf")
        self._lock = threading.Lock()

    def current(self) -> ClearedPairs:
        with self._lock:
            if time.monotonic() - self._read_at >= self.every_s:
                try:
                    self._pairs = ClearedPairs.of(self.load())
                except Exception as exc:  # decisions unreadable: keep screening with the last ones known
                    log.warning("screening decisions not refreshed, %d pairs kept: %s", len(self._pairs.pairs), exc)
                self._read_at = time.monotonic()
            return self._pairs
