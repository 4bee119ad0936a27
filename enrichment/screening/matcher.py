"""Comparing two subjects (a query and a list entry): name parts first, then the evidence around them.

The name score aligns the tokens of both names regardless of their order (so ``SURNAME, Given``
and ``Given Surname`` agree), accepting exact tokens, initials, variants rigour knows to be the same
name in another spelling or script, phonetic twins and small typos, and joined or split parts
(``Abdulhai`` / ``Abdul Hai``). Both sides weigh the same way, so ``compare(a, b) == compare(b, a)``.

Evidence then moves the score: dates of birth, nationalities and identifiers support or contradict,
a person never quite matches a company, and differing legal forms cost a little. The result keeps
an explanation of every part that counted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from enrichment.screening.name_patterns import acronym_match, expand_initialisms, lineage_swapped
from enrichment.screening.names import PreparedName, Token, skeleton
from enrichment.screening.rarity import NO_RARITY, TokenRarity
from enrichment.screening.scripts import LATIN, loose_reading
from enrichment.screening.similarity import clear_similarity_cache, credit, token_similarity

# How much evidence moves a score. Positive evidence only counts on a name that already looks alike.
DOB_EXACT_BONUS = 0.10
DOB_YEAR_BONUS = 0.05
DOB_CONTRADICTION = 0.35
COUNTRY_BONUS = 0.03
COUNTRY_CONTRADICTION = 0.05
IDENTIFIER_BONUS = 0.25
IDENTIFIER_ONLY_SCORE = 0.95
KIND_MISMATCH = 0.35
LEGAL_FORM_MISMATCH = 0.05
EVIDENCE_FLOOR = 0.70  # name score from which supporting evidence adds up
INITIAL_WEIGHT = 0.4
PARTICLE_WEIGHT = 0.2
EXTRA_PART_COST = 0.3  # share of its weight a part costs when only one name has it
MINOR_EXTRA_COST = 0.1  # the same for a patronymic, a particle or an initial
ACRONYM_SIMILARITY = 0.9  # an acronym spelling the initials of the other name's words
LINEAGE_SWAP = 0.6  # factor when "X bin Y" meets "Y bin X"
NUMBER_CONFLICT = 0.6  # factor on the name score when the names carry different numbers
SINGLE_PART_CAP = 0.7  # the most a person's name earns on one shared part when either name has more


@dataclass(frozen=True, slots=True)
class Subject:
    """What is compared: a query from a record, or a list entry. Dates are ``YYYY[-MM[-DD]]``."""

    names: tuple[PreparedName, ...]
    birth_dates: tuple[str, ...] = ()
    countries: frozenset[str] = frozenset()
    identifiers: frozenset[tuple[str, str]] = frozenset()

    def __reduce__(self) -> tuple[type[Subject], tuple[object, ...]]:
        # Pickled by its fields (the index keeps one per entry), so that the class pickles the same
        # whether it is compiled (native.py) or not; a compiled frozen class cannot be restored by setattr.
        return Subject, (self.names, self.birth_dates, self.countries, self.identifiers)


@dataclass(frozen=True, slots=True)
class NameComparison:
    score: float
    left: str
    right: str
    pairs: tuple[tuple[str, str, float, str], ...]  # (left token, right token, similarity, why)
    unmatched_left: tuple[str, ...]
    unmatched_right: tuple[str, ...]

    def __reduce__(self) -> tuple[type[NameComparison], tuple[object, ...]]:
        fields = (self.score, self.left, self.right, self.pairs, self.unmatched_left, self.unmatched_right)
        return NameComparison, fields

    def describe(self) -> str:
        parts = [f"{a}={b}" if why == "same" else f"{a}~{b} ({why} {sim:.2f})" for a, b, sim, why in self.pairs]
        text = ", ".join(parts) or "no name part matched"
        unmatched = [*self.unmatched_left, *self.unmatched_right]
        if unmatched:
            text += "; unmatched: " + " ".join(unmatched)
        return text


@dataclass(frozen=True, slots=True)
class Comparison:
    """A scored comparison with its explanation."""

    score: float
    names: NameComparison
    evidence: tuple[str, ...] = field(default=())

    def __reduce__(self) -> tuple[type[Comparison], tuple[object, ...]]:
        return Comparison, (self.score, self.names, self.evidence)

    @property
    def explanation(self) -> str:
        text = f"name {self.names.left!r} vs {self.names.right!r}: {self.names.describe()}"
        if self.evidence:
            text += "; " + "; ".join(self.evidence)
        return text


__all__ = ["Comparison", "Matcher", "NameComparison", "NameMatcher", "Subject", "clear_similarity_cache"]


class Matcher(Protocol):
    """Anything that scores two subjects in [0, 1] and says why."""

    def compare(self, left: Subject, right: Subject) -> Comparison: ...

    def compare_names(self, left: PreparedName, right: PreparedName) -> NameComparison: ...

    def weigh(
        self, names: NameComparison, left_name: PreparedName, right_name: PreparedName, left: Subject, right: Subject
    ) -> Comparison: ...


def _written_as_one(joined: str, other: PreparedName) -> bool:
    """Whether ``other`` writes ``joined`` as one part, in Latin or as a CJK syllable run."""
    if joined in other.texts:
        return True
    return bool(other.cjk_script) and any(
        loose_reading(joined, rules) in other.loose_texts for rules in (other.cjk_script, "HIRAGANA")
    )


def _needs_merge(name: PreparedName, other: PreparedName) -> bool:
    if name.joins and not name.joins.isdisjoint(other.texts):
        return True
    if other.cjk_script and any(_written_as_one(joined, other) for joined in name.joins):
        return True
    if name.has_abjad and not name.join_skeletons.isdisjoint(other.skeletons):
        return True
    return other.has_abjad and not name.join_skeletons.isdisjoint(other.abjad_skeletons)


def _joined_token(run: tuple[Token, ...]) -> Token:
    joined = "".join(token.text for token in run)
    scripts = [token.script for token in run if token.script != LATIN]
    return Token(
        text=joined,
        phonetic="",
        skeleton=skeleton(joined),
        symbols=frozenset().union(*(token.symbols for token in run)),
        abjad=any(token.abjad for token in run),
        is_initial=False,
        role="name",
        script=scripts[0] if scripts else LATIN,
    )


def _merge_joined(tokens: tuple[Token, ...], other: PreparedName) -> tuple[Token, ...]:
    """Join two or three adjacent tokens when the other name writes them as one word (Abdul Hai /
    Abdulhai, Mart Inez / Martinez, Jae-ho / 재호)."""
    result: list[Token] = []
    index = 0
    while index < len(tokens):
        for size in (3, 2):
            run = tokens[index : index + size]
            if len(run) < size:
                continue
            joined = "".join(token.text for token in run)
            abjad = any(token.abjad for token in run)
            consonants = other.skeletons if abjad else other.abjad_skeletons
            if _written_as_one(joined, other) or (size == 2 and skeleton(joined) in consonants):
                result.append(_joined_token(run))
                index += size
                break
        else:
            result.append(tokens[index])
            index += 1
    return tuple(result)


def _absence_cost(token: Token, weight: float, conflict: bool) -> float:
    """What an unpaired part costs: all of its weight when both names have parts the other lacks
    (two different people), a small share when the other name is simply shorter."""
    if conflict:
        return weight
    if token.role in ("particle", "patronymic", "initial"):
        return weight * MINOR_EXTRA_COST
    return weight * EXTRA_PART_COST


def _align(left_tokens: tuple[Token, ...], right_tokens: tuple[Token, ...]) -> list[tuple[float, int, int, str]]:
    """Greedy one-to-one pairing of parts, best similarity first; the same from either side."""
    # (-similarity, lower text, higher text, i, j, why): sorting on the unordered token pair keeps the
    # greedy alignment the same from either side; ties on it keep the order of (i, j).
    candidates: list[tuple[float, str, str, int, int, str]] = []
    for i, a in enumerate(left_tokens):
        a_text = a.text
        for j, b in enumerate(right_tokens):
            similarity, why = token_similarity(a, b)
            if similarity > 0:
                b_text = b.text
                if a_text <= b_text:
                    candidates.append((-similarity, a_text, b_text, i, j, why))
                else:
                    candidates.append((-similarity, b_text, a_text, i, j, why))
    candidates.sort()
    used_left: set[int] = set()
    used_right: set[int] = set()
    pairs: list[tuple[float, int, int, str]] = []
    for negative, _, _, i, j, why in candidates:
        if i in used_left or j in used_right:
            continue
        used_left.add(i)
        used_right.add(j)
        pairs.append((-negative, i, j, why))
    return pairs


def _weights(tokens: tuple[Token, ...], rarity: TokenRarity) -> list[float]:
    """What each part weighs in its name: its rarity in the lists, less for initials and particles."""
    weight = rarity.weight
    return [
        INITIAL_WEIGHT if t.role == "initial" else PARTICLE_WEIGHT if t.role == "particle" else weight(t.text)
        for t in tokens
    ]


def compare_names(left: PreparedName, right: PreparedName, rarity: TokenRarity = NO_RARITY) -> NameComparison:
    """Order-free alignment of name parts, scored as a weighted mean over the paired parts.

    Absence is not conflict: when only one name has parts the other lacks (a middle name, a
    patronymic, a qualifier), those parts cost ``EXTRA_PART_COST`` of their weight; when both names
    have unpaired parts, every unpaired part costs its full weight. Parts weigh by their rarity.
    """
    # An acronym is one word against several: ruled out first by the number of parts.
    if 1 in (len(left.tokens), len(right.tokens)) and (acronym_match(left, right) or acronym_match(right, left)):
        short, long = (left, right) if len(left.tokens) == 1 else (right, left)
        pair = (short.tokens[0].text, " ".join(t.text for t in long.tokens), ACRONYM_SIMILARITY, "acronym")
        return NameComparison(ACRONYM_SIMILARITY, left.original, right.original, (pair,), (), ())
    left_tokens = _merge_joined(left.tokens, right) if _needs_merge(left, right) else left.tokens
    right_tokens = _merge_joined(right.tokens, left) if _needs_merge(right, left) else right.tokens
    if not left_tokens or not right_tokens:
        return NameComparison(0.0, left.original, right.original, (), (), ())
    left_tokens = expand_initialisms(left_tokens, right_tokens)
    right_tokens = expand_initialisms(right_tokens, left_tokens)
    aligned = _align(left_tokens, right_tokens)
    left_weights = _weights(left_tokens, rarity)
    right_weights = _weights(right_tokens, rarity)
    earned = 0.0
    mass = 0.0
    pairs: list[tuple[str, str, float, str]] = []
    for similarity, i, j, why in aligned:
        weight = min(left_weights[i], right_weights[j])
        earned += credit(similarity, why) * weight
        mass += weight
        pairs.append((left_tokens[i].text, right_tokens[j].text, similarity, why))
    paired_left = {i for _, i, _, _ in aligned}
    paired_right = {j for _, _, j, _ in aligned}
    extra_left = [i for i in range(len(left_tokens)) if i not in paired_left]
    extra_right = [j for j in range(len(right_tokens)) if j not in paired_right]
    conflict = _is_significant(left_tokens, extra_left) and _is_significant(right_tokens, extra_right)
    for i in extra_left:
        mass += _absence_cost(left_tokens[i], left_weights[i], conflict)
    for j in extra_right:
        mass += _absence_cost(right_tokens[j], right_weights[j], conflict)
    score = earned / mass if mass else 0.0
    if _has_number(left_tokens, extra_left) and _has_number(right_tokens, extra_right):
        score *= NUMBER_CONFLICT  # "Atlas III" / "Atlas IV": another entity of a numbered series
    if lineage_swapped(left_tokens, right_tokens, aligned):
        score *= LINEAGE_SWAP
        pairs.append(("bin", "bin", 0.0, "father and son swapped"))
    if (extra_left or extra_right) and "ORG" not in (left.kind, right.kind):
        named = sum(1 for _, i, _, _ in aligned if left_tokens[i].role in ("name", "patronymic"))
        if named <= 1:  # one shared given name or surname is a namesake, not a match ("Kim" / "Kim Jong Un")
            score = min(score, SINGLE_PART_CAP)
    return NameComparison(
        score=round(min(1.0, score), 6),
        left=left.original,
        right=right.original,
        pairs=tuple(pairs),
        unmatched_left=tuple(left_tokens[i].text for i in extra_left),
        unmatched_right=tuple(right_tokens[j].text for j in extra_right),
    )


def _has_number(tokens: tuple[Token, ...], unpaired: list[int]) -> bool:
    return any(tokens[i].role == "number" for i in unpaired)


def _is_significant(tokens: tuple[Token, ...], unpaired: list[int]) -> bool:
    """Whether unpaired parts say "someone else": a given name, surname or patronymic does, a particle does not."""
    return any(tokens[i].role != "particle" for i in unpaired)


def _year(value: str) -> int | None:
    return int(value[:4]) if len(value) >= 4 and value[:4].isdigit() else None


def birth_date_evidence(left: tuple[str, ...], right: tuple[str, ...]) -> tuple[float, str | None]:
    """Support (+) or contradiction (-) from dates of birth; nothing when either side has none."""
    if not left or not right:
        return 0.0, None
    full = {value for value in left if len(value) == 10} & {value for value in right if len(value) == 10}
    if full:
        return DOB_EXACT_BONUS, f"date of birth {min(full)} matches"
    left_years = {year for year in map(_year, left) if year is not None}
    right_years = {year for year in map(_year, right) if year is not None}
    if not left_years or not right_years:
        return 0.0, None
    same = left_years & right_years
    if same:
        return DOB_YEAR_BONUS, f"birth year {min(same)} matches"
    gap = min(abs(a - b) for a in left_years for b in right_years)
    if gap <= 1:
        return 0.0, f"birth years one apart ({min(left_years)}/{min(right_years)})"
    return -DOB_CONTRADICTION, f"birth year contradicts ({min(left_years)} vs {min(right_years)})"


def kinds_compatible(left: PreparedName, right: PreparedName) -> bool:
    return left.kind == right.kind or "UNK" in (left.kind, right.kind)


class NameMatcher:
    """The default matcher: token alignment plus birth date, nationality, identifier and kind evidence.

    ``rarity`` weighs name parts by how common they are in the lists (the index passes its own).
    """

    def __init__(self, rarity: TokenRarity = NO_RARITY) -> None:
        self.rarity = rarity

    def compare_names(self, left: PreparedName, right: PreparedName) -> NameComparison:
        return compare_names(left, right, self.rarity)

    def compare(self, left: Subject, right: Subject) -> Comparison:
        best: NameComparison | None = None
        best_pair: tuple[PreparedName, PreparedName] | None = None
        for a in left.names:
            for b in right.names:
                names = compare_names(a, b, self.rarity)
                if best is None or names.score > best.score:
                    best, best_pair = names, (a, b)
        if best is None or best_pair is None:
            empty = NameComparison(0.0, "", "", (), (), ())
            return Comparison(0.0, empty)
        return self.weigh(best, best_pair[0], best_pair[1], left, right)

    def weigh(
        self, names: NameComparison, left_name: PreparedName, right_name: PreparedName, left: Subject, right: Subject
    ) -> Comparison:
        """Add the evidence around two names to their name score."""
        score = names.score
        notes: list[str] = []
        support = 0.0
        delta, note = birth_date_evidence(left.birth_dates, right.birth_dates)
        if note:
            notes.append(note)
        if delta > 0:
            support += delta
        else:
            score += delta
        if left.countries and right.countries:
            shared = left.countries & right.countries
            if shared:
                support += COUNTRY_BONUS
                notes.append(f"country {min(shared)} matches")
            else:
                score -= COUNTRY_CONTRADICTION
                notes.append(
                    f"country differs ({','.join(sorted(left.countries))} vs {','.join(sorted(right.countries))})"
                )
        shared_ids = left.identifiers & right.identifiers
        if shared_ids:
            scheme, value = min(shared_ids)
            support += IDENTIFIER_BONUS
            notes.append(f"identifier {scheme} {value} matches")
        if not kinds_compatible(left_name, right_name):
            score -= KIND_MISMATCH
            notes.append(f"kind differs ({left_name.kind} vs {right_name.kind})")
        if left_name.org_classes and right_name.org_classes:
            if left_name.org_classes & right_name.org_classes:
                notes.append(f"legal form {min(left_name.org_classes & right_name.org_classes)} matches")
            else:
                score -= LEGAL_FORM_MISMATCH
                notes.append("legal form differs")
        if names.score >= EVIDENCE_FLOOR or shared_ids:
            score += support
        if shared_ids and not left_name.tokens:
            # A bare vessel or document number: the identifier alone is the match.
            score = max(score, IDENTIFIER_ONLY_SCORE)
        return Comparison(round(max(0.0, min(1.0, score)), 6), names, tuple(notes))
