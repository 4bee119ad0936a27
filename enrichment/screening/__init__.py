"""Sanctions and watchlist screening: list loaders, a name matcher behind ``Matcher`` and a blocking index.

Stream jobs build the index once per worker with :func:`load_index` and call the pure stage
:func:`screen_record` per record.
"""

# First: decides whether the compiled matcher modules or their sources are imported (see native.py).
from enrichment.screening import native
from enrichment.screening.entries import WatchlistEntry
from enrichment.screening.index import Match, ScreeningIndex, build_index, load_index
from enrichment.screening.matcher import Comparison, Matcher, NameMatcher, Subject
from enrichment.screening.names import PreparedName, prepare_name
from enrichment.screening.stage import screen_record

__all__ = [
    "Comparison",
    "Match",
    "Matcher",
    "NameMatcher",
    "PreparedName",
    "ScreeningIndex",
    "Subject",
    "WatchlistEntry",
    "build_index",
    "load_index",
    "native",
    "prepare_name",
    "screen_record",
]
