"""The ``Recognizer`` protocol and its transformer implementation, loaded from a model directory.

``load_recognizer`` reads only the given directory (weights, tokenizer, label map); by default the
linear layers are quantised to int8 (dynamic quantisation), which is faster on CPU and keeps accuracy
(see ``benchmarks/ner.py``).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Literal, Protocol, cast, runtime_checkable

import torch

from enrichment.ner.inference import WordTagger
from enrichment.ner.model import load_model
from enrichment.ner.spans import bio_spans
from enrichment.ner.words import Word, split_sentences
from schemas.records import Mention

EntityLabel = Literal["PER", "ORG", "LOC", "MISC"]


@runtime_checkable
class Recognizer(Protocol):
    """Finds named entities in texts; offsets are character offsets into each text."""

    def recognize(self, texts: list[str]) -> list[list[Mention]]: ...


@runtime_checkable
class TokenTagger(Protocol):
    """Tags already-tokenised sentences with BIO labels (the CoNLL contract)."""

    def tag_tokens(self, sentences: Sequence[Sequence[str]]) -> list[list[str]]: ...


class TransformerRecognizer:
    """Transformer token classification behind ``Recognizer`` and ``TokenTagger``."""

    def __init__(self, tagger: WordTagger, name: str = "transformer") -> None:
        self.tagger = tagger
        self.name = name

    def tag_tokens(self, sentences: Sequence[Sequence[str]]) -> list[list[str]]:
        return [[label for label, _ in row] for row in self.tagger.tag(sentences)]

    def recognize(self, texts: list[str]) -> list[list[Mention]]:
        owners: list[int] = []
        sentences: list[list[Word]] = []
        for index, text in enumerate(texts):
            for sentence in split_sentences(text):
                owners.append(index)
                sentences.append(sentence)
        tagged = self.tagger.tag([[word.text for word in sentence] for sentence in sentences])
        mentions: list[list[Mention]] = [[] for _ in texts]
        for owner, sentence, row in zip(owners, sentences, tagged, strict=True):
            mentions[owner].extend(_mentions(texts[owner], sentence, row))
        return mentions


def _mentions(text: str, words: Sequence[Word], row: Sequence[tuple[str, float]]) -> list[Mention]:
    found: list[Mention] = []
    for span in bio_spans([label for label, _ in row]):
        start, end = words[span.start].start, words[span.end - 1].end
        confidence = sum(score for _, score in row[span.start : span.end]) / (span.end - span.start)
        found.append(
            Mention(
                label=cast(EntityLabel, span.label),
                text=text[start:end],
                start=start,
                end=end,
                score=round(confidence, 4),
            )
        )
    return found


def quantize(model: torch.nn.Module) -> torch.nn.Module:
    """Dynamic int8 quantisation of the attention and FFN-input linear layers (weights int8 with one
    scale per output channel, activations quantised on the fly).

    The FFN output projections stay float: their inputs (after GELU) have outliers that a per-tensor
    activation scale handles badly. Quantising every linear layer cost 0.7 F1 points on WikiANN test
    (0.816 vs 0.823 fp32); keeping these six layers and the label head float costs 0.1 and is still
    1.4x faster than fp32 (``benchmarks/ner.py``).
    """
    from torch.ao.quantization import per_channel_dynamic_qconfig, quantize_dynamic

    spec = {name: per_channel_dynamic_qconfig for name, module in model.named_modules()
            if isinstance(module, torch.nn.Linear) and not _kept_float(name)}
    with warnings.catch_warnings():
        # torch.ao eager quantisation is deprecated in favour of torchao, which is not installed here;
        # it still works and is what keeps this fast on CPU.
        warnings.simplefilter("ignore", category=DeprecationWarning)
        warnings.simplefilter("ignore", category=UserWarning)
        quantized = quantize_dynamic(model, spec, dtype=torch.qint8)  # type: ignore[no-untyped-call]
    return cast(torch.nn.Module, quantized)


def _kept_float(name: str) -> bool:
    """The label head and each layer's FFN output projection (``layer.N.output.dense``)."""
    return name == "classifier" or (name.endswith(".output.dense") and ".attention." not in name)


def load_recognizer(
    model_dir: Path,
    *,
    quantized: bool = True,
    batch_size: int = 64,
    threads: int | None = None,
) -> TransformerRecognizer:
    """Load the recognizer saved by ``sekisho ner train`` from ``model_dir`` (nothing else is read)."""
    if threads is not None:
        torch.set_num_threads(threads)
    model, tokenizer, manifest = load_model(Path(model_dir))
    runnable: torch.nn.Module = quantize(model) if quantized else model
    tagger = WordTagger(runnable, tokenizer, manifest.labels, manifest.max_length, batch_size=batch_size)
    return TransformerRecognizer(tagger, name=f"{Path(model_dir).name}{'-int8' if quantized else ''}")
