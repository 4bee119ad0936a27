"""Entity post-processing: rules that remove what a named entity cannot be, whatever the model says.

Applied to each tagged sentence after decoding (``TransformerRecognizer``), so ``sekisho ner tag``,
``evaluate`` and the stream all see the same entities. Measured on the customs development set
(``enrichment/ner/data/customs``, see BENCHMARKS.md): each rule removes a kind of error seen there,
never a gold entity of that set.

1. An entity never starts or ends with punctuation (``East Asia .`` -> ``East Asia``).
2. An entity with no capital letter is a common noun phrase (``hydraulic pump``), unless the whole text
   is lower case (where case says nothing).
"""

from __future__ import annotations

from collections.abc import Sequence

from enrichment.ner.spans import TokenSpan, bio_spans, spans_to_bio


def clean_entities(words: Sequence[str], labels: Sequence[str]) -> list[str]:
    """``labels`` (BIO) with the rules above applied; a dropped entity's words become ``O``."""
    text_has_capitals = any(char.isupper() for word in words for char in word)
    kept: list[TokenSpan] = []
    for span in bio_spans(labels):
        start, end = span.start, span.end
        while start < end and _is_punctuation(words[start]):
            start += 1
        while end > start and _is_punctuation(words[end - 1]):
            end -= 1
        if start == end:
            continue
        if text_has_capitals and not any(char.isupper() for word in words[start:end] for char in word):
            continue
        kept.append(TokenSpan(start, end, span.label))
    return spans_to_bio(len(words), kept)


def _is_punctuation(word: str) -> bool:
    return not any(char.isalnum() for char in word)
