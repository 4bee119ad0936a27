"""Reading and writing CoNLL-style NER corpora (WikiANN, WNUT-17, CoNLL-2003 shapes).

A sentence is a list of tokens with one BIO tag each. Source tag sets are mapped onto the
product's label set (PER, ORG, LOC, MISC); anything else becomes ``O``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

ENTITY_TYPES: tuple[str, ...] = ("PER", "ORG", "LOC", "MISC")
LABELS: tuple[str, ...] = ("O", *(f"{prefix}-{kind}" for kind in ENTITY_TYPES for prefix in ("B", "I")))

# WNUT-17 "emerging entity" types onto the newswire label set. Groups (bands, teams) are organisations
# in CoNLL terms; products and creative works are the closest to MISC.
WNUT17_TYPES: Mapping[str, str] = {
    "person": "PER",
    "location": "LOC",
    "corporation": "ORG",
    "group": "ORG",
    "product": "MISC",
    "creative-work": "MISC",
}
IDENTITY_TYPES: Mapping[str, str] = {kind: kind for kind in ENTITY_TYPES}
DOCSTART = "-DOCSTART-"


@dataclass(frozen=True)
class Sentence:
    tokens: tuple[str, ...]
    tags: tuple[str, ...]


def map_tag(tag: str, types: Mapping[str, str]) -> str:
    """Map one source BIO tag onto the product's labels (unknown types become ``O``)."""
    if tag in ("", "O") or len(tag) < 3 or tag[1] != "-" or tag[0] not in "BI":
        return "O"
    kind = types.get(tag[2:])
    return f"{tag[0]}-{kind}" if kind else "O"


def iter_conll_blocks(lines: Iterable[str]) -> Iterator[list[list[str]]]:
    """Yield sentences as lists of whitespace/tab-split columns; ``-DOCSTART-`` lines are skipped."""
    block: list[list[str]] = []
    for raw in lines:
        line = raw.rstrip("\r\n")
        if not line.strip():
            if block:
                yield block
                block = []
            continue
        columns = line.split("\t") if "\t" in line else line.split()
        if columns[0] == DOCSTART:
            continue
        block.append(columns)
    if block:
        yield block


def read_tagged(
    path: Path,
    types: Mapping[str, str] = IDENTITY_TYPES,
    token_prefix: str = "",
    limit: int | None = None,
) -> list[Sentence]:
    """Read a CoNLL file whose first column is the token and last column the BIO tag."""
    sentences: list[Sentence] = []
    with path.open(encoding="utf-8") as handle:
        for block in iter_conll_blocks(handle):
            tokens = tuple(_strip_prefix(columns[0], token_prefix) for columns in block)
            tags = tuple(map_tag(columns[-1] if len(columns) > 1 else "O", types) for columns in block)
            sentences.append(Sentence(tokens, repair_bio(tags)))
            if limit is not None and len(sentences) >= limit:
                break
    return sentences


def read_wikiann(path: Path, limit: int | None = None) -> list[Sentence]:
    return read_tagged(path, IDENTITY_TYPES, token_prefix="en:", limit=limit)


def read_wnut17(path: Path, limit: int | None = None) -> list[Sentence]:
    return read_tagged(path, WNUT17_TYPES, limit=limit)


def _strip_prefix(token: str, prefix: str) -> str:
    return token[len(prefix) :] if prefix and token.startswith(prefix) else token


def repair_bio(tags: Iterable[str]) -> tuple[str, ...]:
    """Turn an ``I-X`` that does not continue an ``X`` entity into ``B-X`` (IOB1 and model slips)."""
    repaired: list[str] = []
    previous = "O"
    for tag in tags:
        if tag.startswith("I-") and previous[2:] != tag[2:]:
            tag = "B-" + tag[2:]
        repaired.append(tag)
        previous = tag
    return tuple(repaired)


def read_conll_tokens(lines: Iterable[str]) -> list[list[str] | None]:
    """Read the file ``sekisho ner tag`` gets: sentences of tokens, ``None`` for each blank line.

    The result keeps the file's shape (one ``None`` per blank line, so runs of blank lines survive);
    ``-DOCSTART-`` lines are dropped.
    """
    shape: list[list[str] | None] = []
    current: list[str] | None = None
    for raw in lines:
        line = raw.rstrip("\r\n")
        if not line.strip():
            if current is not None:
                shape.append(current)
                current = None
            shape.append(None)
            continue
        token = line.split("\t")[0] if "\t" in line else line.split()[0]
        if token == DOCSTART:
            continue
        if current is None:
            current = []
        current.append(token)
    if current is not None:
        shape.append(current)
    return shape


def format_tagged(shape: list[list[str] | None], tags: list[list[str]]) -> Iterator[str]:
    """Lines ``token<TAB>tag`` in input order, a blank line where the input had one."""
    sentence_tags = iter(tags)
    for item in shape:
        if item is None:
            yield ""
            continue
        for token, tag in zip(item, next(sentence_tags), strict=True):
            yield f"{token}\t{tag}"


def parse_bracketed(line: str) -> Sentence:
    """One sentence in bracket markup: space-separated tokens, entities as ``[TYPE first ... last]``."""
    tokens: list[str] = []
    tags: list[str] = []
    current: str | None = None
    first = False
    for piece in line.split():
        if piece.startswith("[") and piece[1:] in ENTITY_TYPES and current is None:
            current, first = piece[1:], True
            continue
        closes = current is not None and piece.endswith("]") and len(piece) > 1
        token = piece[:-1] if closes else piece
        tokens.append(token)
        tags.append("O" if current is None else f"{'B' if first else 'I'}-{current}")
        first = False
        if closes:
            current = None
    if current is not None:
        raise ValueError(f"unclosed entity in: {line!r}")
    return Sentence(tuple(tokens), tuple(tags))


def read_bracketed(path: Path) -> list[Sentence]:
    """Sentences from a bracket-markup file (``#`` comment lines and blank lines skipped)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return [parse_bracketed(line) for line in lines if line.strip() and not line.startswith("#")]
