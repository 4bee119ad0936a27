"""A dictionary tagger: longest match against entity names seen in training data.

The baseline the transformer is measured against (``benchmarks/ner.py``), and a second
``Recognizer`` that needs no model files.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from typing import cast

from enrichment.ner.recognizer import EntityLabel
from enrichment.ner.spans import TokenSpan, bio_spans, spans_to_bio
from enrichment.ner.words import split_sentences
from schemas.records import Mention

MAX_NAME_TOKENS = 6


class GazetteerRecognizer:
    """Greedy longest-match tagging of capitalised token sequences seen as entities."""

    def __init__(self, names: dict[tuple[str, ...], str]) -> None:
        self.names = names
        self.longest = max((len(name) for name in names), default=0)

    @classmethod
    def from_sentences(cls, sentences: Iterable[tuple[Sequence[str], Sequence[str]]]) -> GazetteerRecognizer:
        """Keep each name with its most frequent label; names must start with a capital letter."""
        votes: dict[tuple[str, ...], Counter[str]] = defaultdict(Counter)
        for tokens, tags in sentences:
            for span in bio_spans(tags):
                name = tuple(tokens[span.start : span.end])
                if len(name) <= MAX_NAME_TOKENS and name[0][:1].isupper():
                    votes[name][span.label] += 1
        return cls({name: counter.most_common(1)[0][0] for name, counter in votes.items()})

    def tag_tokens(self, sentences: Sequence[Sequence[str]]) -> list[list[str]]:
        return [spans_to_bio(len(tokens), self._spans(tokens)) for tokens in sentences]

    def recognize(self, texts: list[str]) -> list[list[Mention]]:
        results: list[list[Mention]] = []
        for text in texts:
            found: list[Mention] = []
            for sentence in split_sentences(text):
                for span in self._spans([word.text for word in sentence]):
                    start, end = sentence[span.start].start, sentence[span.end - 1].end
                    label = cast(EntityLabel, span.label)
                    found.append(Mention(label=label, text=text[start:end], start=start, end=end, score=1.0))
            results.append(found)
        return results

    def _spans(self, tokens: Sequence[str]) -> list[TokenSpan]:
        spans: list[TokenSpan] = []
        index = 0
        while index < len(tokens):
            for length in range(min(self.longest, len(tokens) - index), 0, -1):
                label = self.names.get(tuple(tokens[index : index + length]))
                if label is not None:
                    spans.append(TokenSpan(index, index + length, label))
                    index += length
                    break
            else:
                index += 1
        return spans
