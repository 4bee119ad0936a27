"""Reading and writing CoNLL-style NER corpora (WikiANN, WNUT-17, CoNLL-2003 shapes).

A sentence is a list of tokens with one BIO tag each. Source tag sets are mapped onto the
product's label set (PER, ORG, LOC, MISC); anything else becomes ``O``. CoNLL-2003 files keep their
``-DOCSTART-`` document boundaries (``read_documents``), so its validation file can be split by
document into a part used for model selection and a part only reported on.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from enrichment.ner.words import split_words

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


def read_documents(path: Path, types: Mapping[str, str] = IDENTITY_TYPES) -> list[list[Sentence]]:
    """Sentences grouped by ``-DOCSTART-`` document (a file without markers is one document)."""
    documents: list[list[Sentence]] = [[]]
    block: list[list[str]] = []

    def close_block() -> None:
        if block:
            tokens = tuple(columns[0] for columns in block)
            tags = tuple(map_tag(columns[-1] if len(columns) > 1 else "O", types) for columns in block)
            documents[-1].append(Sentence(tokens, repair_bio(tags)))
            block.clear()

    with path.open(encoding="utf-8") as handle:
        for raw in handle:
            line = raw.rstrip("\r\n")
            if not line.strip():
                close_block()
                continue
            columns = line.split("\t") if "\t" in line else line.split()
            if columns[0] == DOCSTART:
                close_block()
                if documents[-1]:
                    documents.append([])
                continue
            block.append(columns)
    close_block()
    return [document for document in documents if document]


def split_documents(
    documents: list[list[Sentence]], selection_share: float = 0.5
) -> tuple[list[Sentence], list[Sentence]]:
    """The first ``selection_share`` of the documents (for model selection) and the rest (held out).

    Split by whole documents, in file order, so a story's sentences never sit on both sides.
    """
    cut = round(len(documents) * selection_share)
    return _flatten(documents[:cut]), _flatten(documents[cut:])


def _flatten(documents: Iterable[list[Sentence]]) -> list[Sentence]:
    return [sentence for document in documents for sentence in document]


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


_INLINE_ENTITY = re.compile(r"\[(PER|ORG|LOC|MISC) ([^\[\]]+)\]")


def parse_annotated_text(line: str) -> Sentence:
    """One text with entities marked inline as ``[TYPE text]``, split into words as the product splits text.

    The markup is removed, the plain text is cut by ``split_words`` and each word takes the tag of the
    entity covering it; an entity edge that falls inside a word is an annotation error.
    """
    plain: list[str] = []
    entities: list[tuple[int, int, str]] = []
    length = 0
    cursor = 0
    for match in _INLINE_ENTITY.finditer(line):
        plain.append(line[cursor : match.start()])
        length += match.start() - cursor
        text = match.group(2)
        entities.append((length, length + len(text), match.group(1)))
        plain.append(text)
        length += len(text)
        cursor = match.end()
    plain.append(line[cursor:])
    text = "".join(plain)
    if "[" in text and any(f"[{kind} " in text for kind in ENTITY_TYPES):
        raise ValueError(f"unclosed or nested entity in: {line!r}")
    words = split_words(text)
    tags = ["O"] * len(words)
    for start, end, kind in entities:
        inside = [i for i, word in enumerate(words) if word.start < end and word.end > start]
        if not inside or words[inside[0]].start != start or words[inside[-1]].end != end:
            raise ValueError(f"entity {text[start:end]!r} does not fall on word boundaries in: {line!r}")
        tags[inside[0]] = f"B-{kind}"
        for index in inside[1:]:
            tags[index] = f"I-{kind}"
    return Sentence(tuple(word.text for word in words), tuple(tags))


def read_annotated_text(path: Path) -> list[Sentence]:
    """Texts from an inline-markup file (one per line; ``#`` comment lines and blank lines skipped)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return [parse_annotated_text(line) for line in lines if line.strip() and not line.startswith("#")]


def is_annotated_text(path: Path) -> bool:
    """Whether ``path`` holds inline ``[TYPE text]`` markup rather than CoNLL columns."""
    with path.open(encoding="utf-8") as handle:
        return any(_INLINE_ENTITY.search(line) for line in handle if not line.startswith("#"))


def read_gold(path: Path, token_prefix: str = "") -> list[Sentence]:
    """A gold file in either format: CoNLL columns (token first, tag last) or inline markup."""
    return read_annotated_text(path) if is_annotated_text(path) else read_tagged(path, token_prefix=token_prefix)
