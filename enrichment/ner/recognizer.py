"""The ``Recognizer`` protocol and its transformer implementation, loaded from a model directory.

``load_recognizer`` reads only the given directory (weights, tokenizer, label map) and picks how the
encoder computes (``Precision``). The default, ``int8``, runs the model's ONNX graph in ONNX Runtime
with int8 weights and activations (``onnx_export``: built from the directory's weights on first use
and cached); ``fp32``, ``bf16`` and ``torch-int8`` run the torch model, ``onnx-fp32`` the float ONNX
graph. ``benchmarks/ner.py`` measures each one's F1 and speed. Every tagged sentence goes through the
entity rules of ``entity_rules`` before it is returned.
"""

from __future__ import annotations

import tempfile
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Literal, Protocol, cast, get_args, runtime_checkable

import torch

from enrichment.ner.entity_rules import clean_entities
from enrichment.ner.inference import PieceScorer, TorchScorer, WordTagger
from enrichment.ner.model import load_manifest, load_model, load_tokenizer
from enrichment.ner.spans import bio_spans
from enrichment.ner.words import Word, split_sentences
from schemas.records import Mention

EntityLabel = Literal["PER", "ORG", "LOC", "MISC"]
Precision = Literal["auto", "int8", "onnx-fp32", "fp32", "bf16", "torch-int8"]
PRECISIONS: tuple[str, ...] = get_args(Precision)
# Windows per encoder call. ONNX Runtime's int8 graph ran fastest with small batches (its element-wise
# ops then work in the core's own cache: 8 windows took 1.2x less CPU time than 16, 64 more still); torch
# gains from larger ones. Each batch also gets its own activation scales.
ONNX_BATCH = 8
TORCH_BATCH = 64


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

    def __init__(self, tagger: WordTagger, name: str = "transformer", entity_rules: bool = True) -> None:
        self.tagger = tagger
        self.name = name
        self.entity_rules = entity_rules

    def tag_tokens(self, sentences: Sequence[Sequence[str]]) -> list[list[str]]:
        return [[label for label, _ in row] for row in self.tag_scored(sentences)]

    def tag_scored(self, sentences: Sequence[Sequence[str]]) -> list[list[tuple[str, float]]]:
        """BIO label and model confidence per word, after the entity rules."""
        tagged = self.tagger.tag(sentences)
        if not self.entity_rules:
            return tagged
        cleaned: list[list[tuple[str, float]]] = []
        for words, row in zip(sentences, tagged, strict=True):
            labels = clean_entities(words, [label for label, _ in row])
            cleaned.append([(label, score) for label, (_, score) in zip(labels, row, strict=True)])
        return cleaned

    def recognize(self, texts: list[str]) -> list[list[Mention]]:
        owners: list[int] = []
        sentences: list[list[Word]] = []
        for index, text in enumerate(texts):
            for sentence in split_sentences(text):
                owners.append(index)
                sentences.append(sentence)
        tagged = self.tag_scored([[word.text for word in sentence] for sentence in sentences])
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


def prepare(model: torch.nn.Module, precision: Precision) -> tuple[torch.nn.Module, str]:
    """The torch model ready to run in ``precision`` (``fp32``, ``bf16`` or ``torch-int8``) and its name."""
    if precision == "torch-int8":
        return quantize(model), precision
    if precision == "bf16":
        return model.to(torch.bfloat16), precision
    if precision == "fp32":
        return model, precision
    raise ValueError(f"{precision!r} is not a torch precision")


def default_onnx_cache() -> Path:
    """Where ONNX graphs are cached when the caller names no directory (entry points pass one)."""
    return Path(tempfile.gettempdir()) / "sekisho-ner-onnx"


def load_recognizer(
    model_dir: Path,
    *,
    precision: Precision = "auto",
    batch_size: int | None = None,
    threads: int | None = None,
    entity_rules: bool = True,
    onnx_cache: Path | None = None,
) -> TransformerRecognizer:
    """Load the recognizer saved by ``sekisho ner train`` from ``model_dir`` (nothing else is read).

    ``auto`` is ``int8`` (ONNX Runtime). The ONNX graph is built from ``model_dir`` into ``onnx_cache``
    the first time (about half a minute) and reused after.
    """
    if precision not in PRECISIONS:
        raise ValueError(f"unknown precision {precision!r}; one of {', '.join(PRECISIONS)}")
    model_dir = Path(model_dir)
    chosen = "int8" if precision == "auto" else precision
    manifest, tokenizer = load_manifest(model_dir), load_tokenizer(model_dir)
    scorer: PieceScorer
    if chosen in ("int8", "onnx-fp32"):
        from enrichment.ner.onnx_export import cached_onnx
        from enrichment.ner.onnx_scorer import OnnxScorer

        graph = cached_onnx(model_dir, onnx_cache or default_onnx_cache(), "int8" if chosen == "int8" else "fp32")
        scorer = OnnxScorer(graph, threads=threads or 1)
        default_batch = ONNX_BATCH
    else:
        if threads is not None:
            torch.set_num_threads(threads)
        model, _, _ = load_model(model_dir)
        runnable, _ = prepare(model, chosen)
        scorer = TorchScorer(runnable)
        default_batch = TORCH_BATCH
    tagger = WordTagger(scorer, tokenizer, manifest.labels, manifest.max_length, batch_size=batch_size or default_batch)
    return TransformerRecognizer(tagger, name=f"{model_dir.name}-{chosen}", entity_rules=entity_rules)
