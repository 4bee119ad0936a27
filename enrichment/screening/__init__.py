"""Sanctions and watchlist screening: list loaders, a name matcher behind ``Matcher`` and a blocking index.

Stream jobs build the index once per worker with :func:`load_index` and call the pure stage
:func:`screen_record` per record.
"""

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
    "prepare_name",
    "screen_record",
]
