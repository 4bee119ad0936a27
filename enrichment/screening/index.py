"""The screening index: every list name prepared once, with a blocking index for candidate generation.

Blocking keys per name part are its ASCII text, its metaphone, its consonant skeleton and the name
symbols rigour gives it, so a query finds candidates across spellings and scripts without a scan.
Candidates are ranked by the summed rarity (IDF) of the keys they share with the query, and only
the best few are scored by the matcher. Entries are also indexed by identifier (IMO, passport...)
so that a vessel or document number finds its entry without any name at all.

Build it once per worker with :func:`load_index`; it caches the built index on disk (pickle) under
a key made of the lists' content hash and this module's format version.
"""

from __future__ import annotations

import logging
import math
import pickle
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from itertools import pairwise
from pathlib import Path

import numpy as np
import numpy.typing as npt

from enrichment.screening import native
from enrichment.screening.entries import WatchlistEntry
from enrichment.screening.loaders import LIST_FILES, compact_identifier, lists_content_hash, load_all
from enrichment.screening.matcher import Comparison, Matcher, NameComparison, NameMatcher, Subject
from enrichment.screening.name_patterns import acronym_spellings
from enrichment.screening.names import NameKind, PreparedName, Token, kind_of, prepare_name
from enrichment.screening.rarity import TokenRarity
from enrichment.screening.scripts import LATIN

_log = logging.getLogger(__name__)

INDEX_FORMAT = 24  # bump when the pickled layout or the name preparation changes
CANDIDATES_PER_NAME = 12  # names scored by the matcher per query name
MAX_POSTINGS = 1200  # keys this common ("mohammed") rank candidates only through rarer keys
CANDIDATE_SHARE = 0.3
ACRONYM_KEY_BOOST = 4.0
DELETION_MAX = 6  # parts this short get one-deletion keys (longer ones have prefix and suffix keys)
MAX_PAIRED_KEYS = 6  # names with more parts get no part-and-initial keys (too many, too little gain)


@dataclass(frozen=True, slots=True)
class Match:
    """One list entry matched by a query, with the comparison that scored it."""

    entry: WatchlistEntry
    comparison: Comparison

    @property
    def score(self) -> float:
        return self.comparison.score

    def __reduce__(self) -> tuple[type[Match], tuple[object, ...]]:
        # By its fields, the same pickle whether the class is compiled (native.py) or not.
        return Match, (self.entry, self.comparison)


Key = tuple[str, float]  # a blocking key and the share of its weight it counts for in the ranking


def _shared(prefix: str, values: Iterable[str], share: float = 1.0) -> list[Key]:
    """Keys of one kind for one part, splitting ``share`` between them: a part with twelve name
    symbols must not outrank a part with one."""
    distinct = sorted(set(values))
    return [(f"{prefix}:{value}", share / len(distinct)) for value in distinct]


def token_keys(token: Token) -> list[Key]:
    if token.is_initial:
        return []
    keys: list[Key] = [(f"t:{token.text}", 1.0)]
    keys += _shared("t", token.alternates)
    if token.phonetic:
        keys.append((f"p:{token.phonetic}", 0.5))
    if len(token.skeleton) >= 2:
        keys.append((f"k:{token.skeleton}", 0.5))
    if token.symbols:
        keys += _shared("s", token.symbols)
    if len(token.text) >= 5:
        # A typo at one end still leaves the other: "Tnkunda" finds "Nkunda", "Lauren" finds "Laurent".
        keys += [(f"a:{token.text[:4]}", 0.5), (f"z:{token.text[-4:]}", 0.5)]
    if 2 <= len(token.text) <= DELETION_MAX and token.script == LATIN and token.role != "number":
        # One edit on a short part: both sides share a one-deletion form ("Sogn"/"Song" share "son").
        keys += _shared("d", deletions(token.text))
    return keys


def deletions(text: str) -> set[str]:
    """``text`` and every form of it with one letter deleted (symmetric-deletion typo keys)."""
    variants = {text}
    if len(text) >= 3:
        variants.update(text[:i] + text[i + 1 :] for i in range(len(text)))
    return variants


def name_keys(name: PreparedName, query: bool = False) -> list[Key]:
    """Blocking keys of a whole name: its parts' keys, the exact set of its parts, its parts written
    together, its initials (for acronyms) and each part with the initial of another (for "HC Kim").

    ``query``: keys of a query name, which may itself be an acronym or a run of initials."""
    tokens = name.tokens
    keys = [key for token in tokens for key in token_keys(token)]
    if len(tokens) > 1:
        keys.append(("n:" + " ".join(sorted(token.text for token in tokens)), 1.0))
        keys += [(f"t:{a.text}{b.text}", 1.0) for a, b in pairwise(tokens) if not (a.is_initial or b.is_initial)]
    full = [t for t in tokens if not t.is_initial and t.role not in ("particle", "number") and len(t.text) >= 2]
    letters = {t.text[0] for t in tokens if t.text and t.role != "number"}
    if query:
        letters.update(char for t in tokens if 2 <= len(t.text) <= 3 and t.script == LATIN for char in t.text)
    if len(tokens) <= MAX_PAIRED_KEYS:
        keys += [(f"f:{t.text}|{letter}", 0.5) for t in full for letter in letters if letter != t.text[0]]
    # An acronym key is the whole name's evidence, not one part's.
    keys += [(f"i:{acronym}", ACRONYM_KEY_BOOST) for acronym in name.acronyms]
    if not query and name.acronyms:
        # Other ways a listed organisation's acronym is written, under their own prefix: only a query
        # that is one word (an acronym itself) looks them up, a spelled-out name's initials do not.
        keys += [(f"j:{acronym}", ACRONYM_KEY_BOOST) for acronym in acronym_spellings(name.original) - name.acronyms]
    if query and name.kind != "PER" and len(tokens) == 1 and 3 <= len(tokens[0].text) <= 8:
        keys += [(f"i:{tokens[0].text}", ACRONYM_KEY_BOOST), (f"j:{tokens[0].text}", ACRONYM_KEY_BOOST)]
    return keys


def entry_subject_evidence(entry: WatchlistEntry) -> Subject:
    return Subject(
        names=(),
        birth_dates=entry.birth_dates,
        countries=frozenset(entry.countries),
        identifiers=frozenset(entry.identifiers),
    )


@dataclass
class ScreeningIndex:
    """All list entries, their prepared names and the blocking postings."""

    entries: list[WatchlistEntry]
    names: list[PreparedName] = field(default_factory=list)
    name_entry: list[int] = field(default_factory=list)
    postings: dict[str, npt.NDArray[np.int32]] = field(default_factory=dict)
    key_weight: dict[str, float] = field(default_factory=dict)
    by_identifier: dict[tuple[str, str], list[int]] = field(default_factory=dict)
    entry_first_name: dict[int, int] = field(default_factory=dict)
    name_lengths: npt.NDArray[np.float64] = field(default_factory=lambda: np.zeros(0))
    evidence: list[Subject] = field(default_factory=list)  # per entry: dates, countries, identifiers
    content_hash: str = ""
    rarity: TokenRarity = field(default_factory=TokenRarity)

    def __reduce__(self) -> tuple[type[ScreeningIndex], tuple[object, ...]]:
        # By its fields (the cache file is a pickle), the same whether the class is compiled (native.py) or not.
        return ScreeningIndex, tuple(getattr(self, name.name) for name in fields(ScreeningIndex))

    @property
    def matcher(self) -> NameMatcher:
        """The default matcher, weighing name parts by their rarity in these lists."""
        return NameMatcher(self.rarity)

    @classmethod
    def build(cls, entries: list[WatchlistEntry], content_hash: str = "") -> ScreeningIndex:
        index = cls(entries=entries, content_hash=content_hash)
        postings: dict[str, set[int]] = defaultdict(set)
        for entry_no, entry in enumerate(entries):
            kind = kind_of(entry.schema)
            for raw in entry.names:
                prepared = prepare_name(raw, kind)
                if not prepared.tokens:
                    continue
                name_no = len(index.names)
                index.names.append(prepared)
                index.entry_first_name.setdefault(entry_no, name_no)
                index.name_entry.append(entry_no)
                for key, _ in name_keys(prepared):
                    postings[key].add(name_no)
            for identifier in entry.identifiers:
                index.by_identifier.setdefault(identifier, []).append(entry_no)
        total = max(1, len(index.names))
        index.postings = {key: np.array(sorted(names), dtype=np.int32) for key, names in postings.items()}
        index.evidence = [entry_subject_evidence(entry) for entry in entries]
        index.name_lengths = np.array([0.01 * len(name.tokens) for name in index.names], dtype=np.float64)
        index.key_weight = {key: math.log(1 + total / len(names)) for key, names in index.postings.items()}
        index.rarity = TokenRarity.from_names([token.text for token in name.tokens] for name in index.names)
        return index

    def __len__(self) -> int:
        return len(self.entries)

    def candidates(self, query: PreparedName, limit: int = CANDIDATES_PER_NAME) -> list[int]:
        """Name numbers that share the rarest keys with ``query``, best first.

        Candidates far behind the best one (under ``CANDIDATE_SHARE`` of its key weight) are dropped:
        they share only a common part and cannot outscore it on names.
        """
        arrays: list[npt.NDArray[np.int32]] = []
        weights: list[float] = []
        fallback: list[Key] = []
        keys = name_keys(query, query=True)
        if query.has_abjad:  # "جلال الدين" is one Latin word, "Jalaluddin"
            keys.extend((f"k:{joined}", 1.0) for joined in query.join_skeletons)
        for key, share in keys:
            names = self.postings.get(key)
            if names is None:
                continue
            if len(names) > MAX_POSTINGS:
                fallback.append((key, share))
                continue
            arrays.append(names)
            weights.append(self.key_weight[key] * share)
        if not arrays:
            # Only common parts ("Abu Ali"): rank by all of them; still one vectorised pass.
            for key, share in fallback:
                arrays.append(self.postings[key])
                weights.append(self.key_weight[key] * share)
        if not arrays:
            return []
        # One dense pass over all names (cheaper than sorting the postings to find the touched ones);
        # every key weighs more than zero, so the touched names are those with any overlap.
        dense = np.bincount(
            np.concatenate(arrays), weights=np.repeat(weights, [len(a) for a in arrays]), minlength=len(self.names)
        )
        touched = np.flatnonzero(dense > 0)  # (a boolean mask scans far faster than nonzero on floats)
        overlap = dense[touched]
        # Among equal overlaps, the names with fewer other parts first.
        scores = overlap - self.name_lengths[touched]
        order = np.argpartition(-scores, limit)[:limit] if len(touched) > limit else np.arange(len(touched))
        order = order[np.argsort(-scores[order], kind="stable")]
        best: list[float] = scores[order].tolist()
        floor = best[0] * CANDIDATE_SHARE
        return [name for name, score in zip(touched[order].tolist(), best, strict=True) if score > 0 and score >= floor]

    def screen(
        self,
        query: Subject,
        matcher: Matcher | None = None,
        *,
        limit: int = 5,
        min_score: float = 0.0,
        schema: str | None = None,
    ) -> list[Match]:
        """The best entries for a query subject, at most ``limit``, each with its explanation."""
        matcher = matcher or self.matcher
        best_names: dict[int, tuple[NameComparison, int, PreparedName]] = {}
        for query_name in query.names:
            for name_no in self.candidates(query_name):
                entry_no = self.name_entry[name_no]
                if schema is not None and self.entries[entry_no].schema not in (schema, "LegalEntity"):
                    continue
                current = best_names.get(entry_no)
                if current is not None and current[0].score >= 1.0:
                    continue  # another name of the entry already matched fully: no name can do better
                names = matcher.compare_names(query_name, self.names[name_no])
                if current is None or names.score > current[0].score:
                    best_names[entry_no] = (names, name_no, query_name)
        for identifier in query.identifiers:
            for entry_no in self.by_identifier.get(identifier, ()):
                first_name = self.entry_first_name.get(entry_no)
                if entry_no not in best_names and first_name is not None:
                    query_name = query.names[0] if query.names else _NO_NAME
                    names = matcher.compare_names(query_name, self.names[first_name])
                    best_names[entry_no] = (names, first_name, query_name)
        matches = []
        for entry_no, (names, name_no, query_name) in best_names.items():
            entry = self.entries[entry_no]
            comparison = matcher.weigh(names, query_name, self.names[name_no], query, self.evidence[entry_no])
            if comparison.score >= min_score and comparison.score > 0:
                matches.append(Match(entry, comparison))
        matches.sort(key=lambda match: (-match.score, match.entry.entry_id))
        return matches[:limit]

    def screen_name(
        self,
        name: str,
        schema: str | None = None,
        *,
        birth_date: str | None = None,
        countries: tuple[str, ...] = (),
        identifiers: tuple[tuple[str, str], ...] = (),
        limit: int = 5,
        min_score: float = 0.0,
    ) -> list[Match]:
        """Screen one name (with optional evidence); ``schema`` restricts hits to that kind of entry."""
        kind: NameKind = kind_of(schema)
        query = Subject(
            names=(prepare_name(name, kind),),
            birth_dates=(birth_date,) if birth_date else (),
            countries=frozenset(c.lower() for c in countries),
            identifiers=frozenset((scheme, compact_identifier(value, scheme)) for scheme, value in identifiers),
        )
        restrict = schema if schema in ("Person", "Company", "Vessel", "Aircraft") else None
        return self.screen(query, limit=limit, min_score=min_score, schema=restrict)


_NO_NAME = PreparedName(original="", kind="UNK", tokens=(), org_classes=frozenset())


def build_index(directory: Path) -> ScreeningIndex:
    return ScreeningIndex.build(load_all(directory), lists_content_hash(directory))


def load_index(directory: Path, cache_dir: Path) -> ScreeningIndex:
    """The index of the lists in ``directory`` (the ``watchlist_dir`` setting), cached in ``cache_dir``.

    The cache file name holds the lists' content hash, so a refreshed list builds a new index and a
    stale one is never read. A cache that cannot be read or written is rebuilt or skipped, never fatal.
    """
    if not native.COMPILED:
        _log.warning("screening matcher: %s", native.status())
    content_hash = lists_content_hash(directory)
    # The same file for the compiled matcher modules and their sources: their classes pickle by fields.
    cache_file = cache_dir / f"index-v{INDEX_FORMAT}-{content_hash[:24]}.pickle"
    if cache_file.exists():
        try:
            with cache_file.open("rb") as handle:
                cached = pickle.load(handle)
            if isinstance(cached, ScreeningIndex) and cached.content_hash == content_hash:
                return cached
        except Exception:  # unreadable, truncated, another layout: rebuilt below
            pass
    index = ScreeningIndex.build(load_all(directory), content_hash)
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        partial = cache_file.with_suffix(".tmp")
        with partial.open("wb") as handle:
            pickle.dump(index, handle, protocol=pickle.HIGHEST_PROTOCOL)
        partial.replace(cache_file)
        for stale in cache_dir.glob("index-v*.pickle"):
            if stale != cache_file:  # an older list snapshot or index format: never read again
                stale.unlink(missing_ok=True)
    except OSError:
        pass
    return index


__all__ = ["LIST_FILES", "Match", "ScreeningIndex", "build_index", "load_index"]
