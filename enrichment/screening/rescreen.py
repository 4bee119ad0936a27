"""Re-screening on list changes: what changed between two versions of the lists, and the records already
seen that now match one of the changed entries.

Only the changed entries are indexed and screened against (a refresh of a 10,000-entry list that adds
or edits 500 entries costs 500 entries' worth of screening, not 10,000). A hit is new when the record
did not already carry the same (entry, field) hit; pairs analysts cleared are left out as in the stream,
unless the entry changed since (a changed entry is exactly what re-opens them).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from enrichment.screening.decisions import ClearedPairs, entry_fingerprint
from enrichment.screening.entries import WatchlistEntry
from enrichment.screening.index import ScreeningIndex, token_keys
from enrichment.screening.names import plain_token
from enrichment.screening.stage import ScreeningQuery, queries_of, screen_query
from schemas.records import Record, ScreeningHit


@dataclass(frozen=True)
class ListChange:
    """Entries added or changed by a list refresh (removed entries raise no new hit)."""

    added: tuple[WatchlistEntry, ...]
    changed: tuple[WatchlistEntry, ...]
    removed: tuple[str, ...]

    @property
    def entries(self) -> tuple[WatchlistEntry, ...]:
        return self.added + self.changed

    def summary(self) -> str:
        return f"{len(self.added)} added, {len(self.changed)} changed, {len(self.removed)} removed"


def list_change(before: Iterable[WatchlistEntry], after: Iterable[WatchlistEntry]) -> ListChange:
    old = {e.entry_id: entry_fingerprint(e) for e in before}
    new = list(after)
    added = tuple(e for e in new if e.entry_id not in old)
    changed = tuple(e for e in new if e.entry_id in old and old[e.entry_id] != entry_fingerprint(e))
    kept = {e.entry_id for e in new}
    return ListChange(added, changed, tuple(sorted(set(old) - kept)))


@dataclass(frozen=True)
class NewHit:
    record: Record
    hit: ScreeningHit


def _ascii_words(name: str) -> list[str] | None:
    """Lower-case words of an ASCII name, or None for other scripts (which always get the full analysis)."""
    if not name.isascii():
        return None
    return [w for w in "".join(ch if ch.isalnum() else " " for ch in name.lower()).split() if w]


def may_match(query: ScreeningQuery, index: ScreeningIndex, keys: set[str]) -> bool:
    """Whether a query can reach one of the (few) changed entries: it shares an identifier, or one of its
    words shares a blocking key (spelling, sound, consonant skeleton, either end) with their names.

    Name analysis costs far more than this; with a few hundred changed entries most of the known entities
    share nothing with them and are passed over. Names in other scripts are always analysed."""
    if any(identifier in index.by_identifier for identifier in query.identifiers):
        return True
    words = _ascii_words(query.name)
    if words is None:
        return True
    return any(key in keys for word in words for key, _weight in token_keys(plain_token(word)))


def rescreen(
    records: Iterable[Record],
    entries: Sequence[WatchlistEntry],
    threshold: float,
    max_hits: int,
    cleared: ClearedPairs | None = None,
) -> Iterator[NewHit]:
    """The hits ``records`` get from ``entries`` that they did not carry already."""
    if not entries:
        return
    index = ScreeningIndex.build(list(entries))
    keys = set(index.postings)
    for record in records:
        known = {(h.entry_id, h.field) for h in record.screening}
        for query in queries_of(record):
            if not may_match(query, index, keys):
                continue
            for hit in screen_query(query, index, threshold, max_hits, cleared):
                if (hit.entry_id, hit.field) not in known:
                    known.add((hit.entry_id, hit.field))
                    yield NewHit(record, hit)
