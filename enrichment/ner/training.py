"""Fine-tuning the cased token classifier on newswire (CoNLL-2003), WikiANN English and WNUT-17, reproducibly.

Seeded shuffling, fixed thread count and length-bucketed batches; the result (weights, tokenizer,
label map and metrics) is written to one directory that inference loads on its own, after every epoch
(so a run stopped early still leaves its last finished epoch).

With a CoNLL-2003 folder, the dev score comes from the first half of its validation documents and the
reported held-out score from the second half; CoNLL-2003 test is never read.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch

from enrichment.ner.corpus import LABELS, Sentence, read_documents, read_wikiann, read_wnut17, split_documents
from enrichment.ner.inference import TorchScorer, WordTagger
from enrichment.ner.model import (
    IGNORED_LABEL,
    CasedTokenClassifier,
    Manifest,
    base_encoder_path,
    encode_words,
    load_model,
    new_classifier,
    piece_labels,
    save_model,
)
from enrichment.ner.spans import evaluate_tags

EVALUATED_TYPES = ("PER", "ORG", "LOC")


@dataclass(frozen=True)
class TrainingConfig:
    data_dir: Path
    out_dir: Path
    epochs: int = 1
    max_sentences: int | None = None  # cap on training sentences (after seeded shuffling)
    seed: int = 13
    batch_size: int = 32
    encoder_learning_rate: float = 1e-4
    head_learning_rate: float = 1e-3
    warmup_fraction: float = 0.06
    weight_decay: float = 0.01
    max_length: int = 128
    threads: int = 1  # on a shared 2-core machine one thread is several times faster than two (no OMP spin-waits)
    use_wnut: bool = True
    use_wikiann: bool = True
    # Folder with CoNLL-2003 ``train.txt`` and ``valid.txt`` (Reuters text: kept outside the repository).
    # When set, ``train.txt`` is trained on and ``valid.txt`` is split by document: the first
    # ``selection_share`` is the dev set (scored per epoch, for choices), the rest the held-out test.
    newswire_dir: Path | None = None
    selection_share: float = 0.5
    # Share of training sentences replaced by their upper-case form: PNR remarks, goods descriptions and
    # company names in trade documents are written in capitals, which newswire rarely is.
    uppercase_share: float = 0.0
    use_wikiann_dev: bool = False  # also train on WikiANN dev minus the held-out part below
    dev_sentences: int = 1000  # held-out WikiANN dev sentences scored after each epoch
    test_sentences: int | None = None  # WikiANN test sentences scored at the end (None: all, 0: none)
    base_model: Path | None = None
    # Warm start: continue from a saved NER model directory (same labels) instead of the bare encoder.
    init_from: Path | None = None
    # Encoder layers kept from the starting model, by index (``None``: all). A smaller student is faster
    # at inference in proportion; ``distil_from`` gives it the full model's label distributions to learn.
    keep_layers: tuple[int, ...] | None = None
    # Knowledge distillation: a saved NER model (same labels and tokenizer) whose label distributions on
    # each batch are a second target, weighted ``distil_weight`` against the gold labels, at temperature
    # ``distil_temperature`` (Hinton et al. 2015: the loss on softened distributions is scaled by T squared).
    distil_from: Path | None = None
    distil_weight: float = 0.5
    distil_temperature: float = 2.0
    # The word-piece embedding matrix is half the encoder's weights; freezing it halves optimizer work
    # and keeps pretrained vectors for words the NER data never shows. Casing is learned on top.
    freeze_word_embeddings: bool = True
    # Wall-clock budget for shared machines: the learning-rate schedule follows whichever of steps or
    # time runs out first, so a slow machine still anneals fully and saves. A run that hits the budget
    # is not bit-reproducible (``stopped_early`` in the metrics says so).
    max_minutes: float | None = None
    # Forward and backward passes in bfloat16 autocast (weights and optimizer stay float32): about twice
    # as fast on CPUs with native bfloat16 matrix units; off by default for bit-reproducible runs.
    bf16: bool = False


@dataclass
class TrainingReport:
    metrics: dict[str, Any] = field(default_factory=dict)
    out_dir: Path | None = None


ProgressCallback = Callable[[str, int, int, float], None]
"""Called as ``(phase, done, total, loss)``; phase is e.g. ``epoch 1/3``."""


def load_training_sentences(config: TrainingConfig) -> tuple[list[Sentence], list[Sentence], list[Sentence]]:
    """Training, dev and test sentences: newswire dev/held-out when a CoNLL-2003 folder is given, else WikiANN's."""
    train: list[Sentence] = []
    if config.newswire_dir is not None:
        train += [s for document in read_documents(config.newswire_dir / "train.txt") for s in document]
    if config.use_wikiann:
        train += read_wikiann(config.data_dir / "wikiann_en_train.txt")
    if config.use_wnut:
        train += read_wnut17(config.data_dir / "wnut17_train.conll")
    if config.newswire_dir is not None:
        dev, test = split_documents(read_documents(config.newswire_dir / "valid.txt"), config.selection_share)
        dev = dev[: config.dev_sentences] if config.dev_sentences else []
    else:
        dev_all = read_wikiann(config.data_dir / "wikiann_en_dev.txt")
        dev = dev_all[: config.dev_sentences]
        if config.use_wikiann_dev:
            train += dev_all[config.dev_sentences :]
        test = read_wikiann(config.data_dir / "wikiann_en_test.txt") if config.test_sentences != 0 else []
    rng = random.Random(config.seed)
    rng.shuffle(train)
    if config.uppercase_share > 0:
        train = [upper_case(s) if rng.random() < config.uppercase_share else s for s in train]
    if config.max_sentences is not None:
        train = train[: config.max_sentences]
    if config.test_sentences is not None:
        test = test[: config.test_sentences]
    return train, dev, test


def upper_case(sentence: Sentence) -> Sentence:
    return Sentence(tuple(token.upper() for token in sentence.tokens), sentence.tags)


def length_bucketed_batches(sentences: Sequence[Sentence], batch_size: int, rng: random.Random) -> list[list[int]]:
    """Batches of similar-length sentences, in a random (seeded) order: less padding, same randomness."""
    order = list(range(len(sentences)))
    rng.shuffle(order)
    pool = batch_size * 50
    batches: list[list[int]] = []
    for offset in range(0, len(order), pool):
        chunk = sorted(order[offset : offset + pool], key=lambda i: len(sentences[i].tokens))
        batches.extend(chunk[i : i + batch_size] for i in range(0, len(chunk), batch_size))
    rng.shuffle(batches)
    return batches


def learning_rate_factor(fraction: float, warmup_fraction: float) -> float:
    """Linear warm-up then linear decay to zero, over the fraction of training done."""
    if fraction < warmup_fraction:
        return max(fraction / warmup_fraction, 0.01)
    return max(0.0, (1.0 - fraction) / (1.0 - warmup_fraction))


def evaluate_sentences(tagger: WordTagger, sentences: Sequence[Sentence]) -> dict[str, Any]:
    if not sentences:
        return {}
    predicted = [[label for label, _ in row] for row in tagger.tag([s.tokens for s in sentences])]
    evaluation = evaluate_tags([s.tags for s in sentences], predicted, EVALUATED_TYPES)
    return {"sentences": len(sentences), **evaluation.as_dict()}


def keep_encoder_layers(model: CasedTokenClassifier, keep: Sequence[int]) -> None:
    """Drop every encoder layer not listed in ``keep`` (in place); the saved config records the new depth."""
    layers = model.encoder.encoder.layer
    if not keep or len(set(keep)) != len(keep) or not all(0 <= index < len(layers) for index in keep):
        raise ValueError(f"layers to keep {list(keep)} must be distinct indices below {len(layers)}")
    model.encoder.encoder.layer = torch.nn.ModuleList([layers[index] for index in sorted(keep)])
    model.encoder.config.num_hidden_layers = len(keep)


def distillation_loss(student: torch.Tensor, teacher: torch.Tensor, targets: torch.Tensor,
                      temperature: float) -> torch.Tensor:
    """KL divergence from the teacher's to the student's softened label distributions, on labelled pieces."""
    scored = targets.view(-1) != IGNORED_LABEL
    labels = student.shape[-1]
    student_log = torch.log_softmax(student.float().view(-1, labels)[scored] / temperature, dim=-1)
    teacher_log = torch.log_softmax(teacher.float().view(-1, labels)[scored] / temperature, dim=-1)
    divergence = torch.nn.functional.kl_div(student_log, teacher_log, log_target=True, reduction="batchmean")
    return divergence * temperature**2


def train(config: TrainingConfig, progress: ProgressCallback | None = None) -> TrainingReport:
    torch.set_num_threads(config.threads)
    torch.manual_seed(config.seed)
    random.seed(config.seed)
    rng = random.Random(config.seed)
    started = time.monotonic()

    train_set, dev_set, test_set = load_training_sentences(config)
    if not train_set:
        raise ValueError(f"no training sentences found under {config.data_dir}")
    label_to_id = {label: index for index, label in enumerate(LABELS)}
    if config.init_from is not None:
        model, tokenizer, previous = load_model(config.init_from)
        if previous.labels != LABELS:
            raise ValueError(f"{config.init_from} has labels {previous.labels}, expected {LABELS}")
        base = Path(previous.base_model) if previous.base_model else config.init_from
    else:
        base = config.base_model or base_encoder_path()
        model, tokenizer = new_classifier(base, len(LABELS))
    if config.keep_layers is not None:
        keep_encoder_layers(model, config.keep_layers)
    teacher: CasedTokenClassifier | None = None
    if config.distil_from is not None:
        teacher, _, teacher_manifest = load_model(config.distil_from)
        if teacher_manifest.labels != LABELS:
            raise ValueError(f"{config.distil_from} has labels {teacher_manifest.labels}, expected {LABELS}")
        teacher.requires_grad_(False)

    model.encoder.embeddings.word_embeddings.weight.requires_grad_(not config.freeze_word_embeddings)
    head_parameters = [*model.casing.parameters(), *model.classifier.parameters()]
    head_ids = {id(p) for p in head_parameters}
    encoder_parameters = [p for p in model.parameters() if id(p) not in head_ids and p.requires_grad]
    optimizer = torch.optim.AdamW(
        [
            {"params": encoder_parameters, "lr": config.encoder_learning_rate},
            {"params": head_parameters, "lr": config.head_learning_rate},
        ],
        weight_decay=config.weight_decay,
        foreach=True,
    )
    steps_per_epoch = -(-len(train_set) // config.batch_size)
    total_steps = max(steps_per_epoch * config.epochs, 1)
    base_rates = [group["lr"] for group in optimizer.param_groups]
    loss_function = torch.nn.CrossEntropyLoss(ignore_index=-100)
    tagger = WordTagger(TorchScorer(model), tokenizer, LABELS, config.max_length)
    history: list[dict[str, Any]] = []
    budget = config.max_minutes * 60 if config.max_minutes else None
    steps_done = 0
    train_started = time.monotonic()

    followed_clock = False

    def progress_fraction() -> float:
        """Share of training done: by steps, or by time when a wall-clock budget runs out first."""
        nonlocal followed_clock
        fraction = steps_done / total_steps
        if budget is not None:
            by_time = (time.monotonic() - train_started) / budget
            followed_clock = followed_clock or by_time > fraction
            fraction = max(fraction, by_time)
        return fraction

    training = {key: str(value) if isinstance(value, Path) else value for key, value in asdict(config).items()}
    training["base_model"] = str(base)
    manifest = Manifest(labels=LABELS, max_length=config.max_length, base_model=str(base), training=training)

    def run_metrics(test: dict[str, Any]) -> dict[str, Any]:
        return {
            "train_sentences": len(train_set),
            "train_seconds": round(time.monotonic() - started, 1),
            "steps": steps_done,
            "planned_steps": total_steps,
            "stopped_early": steps_done < total_steps,
            # True when the wall-clock budget drove the learning rate at some point: not bit-reproducible.
            "schedule_followed_clock": followed_clock,
            "history": history,
            "dev": history[-1]["dev"] if history else {},
            "test": test,
            "evaluated_types": list(EVALUATED_TYPES),
        }

    for epoch in range(config.epochs):
        if progress_fraction() >= 1.0:
            break
        model.train()
        phase = f"epoch {epoch + 1}/{config.epochs}"
        running = 0.0
        batches = length_bucketed_batches(train_set, config.batch_size, rng)
        for step, batch_indices in enumerate(batches):
            fraction = progress_fraction()
            if fraction >= 1.0:
                break
            factor = learning_rate_factor(fraction, config.warmup_fraction)
            for group, rate in zip(optimizer.param_groups, base_rates, strict=True):
                group["lr"] = rate * factor
            steps_done += 1
            sentences = [train_set[i] for i in batch_indices]
            batch = encode_words(tokenizer, [s.tokens for s in sentences], config.max_length)
            targets = piece_labels(batch, [[label_to_id[tag] for tag in s.tags] for s in sentences])
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=config.bf16):
                logits = model(batch.input_ids, batch.attention_mask, batch.casing_ids)
            loss = loss_function(logits.float().view(-1, logits.shape[-1]), targets.view(-1))
            if teacher is not None:
                with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=config.bf16):
                    teacher_logits = teacher(batch.input_ids, batch.attention_mask, batch.casing_ids)
                soft = distillation_loss(logits, teacher_logits.clone(), targets, config.distil_temperature)
                loss = (1.0 - config.distil_weight) * loss + config.distil_weight * soft
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            optimizer.zero_grad()
            value = loss.item()
            running = 0.98 * running + 0.02 * value if step else value
            if progress is not None:
                progress(phase, step + 1, len(batches), running)
        dev_metrics = evaluate_sentences(tagger, dev_set)
        history.append({"epoch": epoch + 1, "loss": round(running, 4), "dev": dev_metrics})
        if progress is not None:
            f1 = dev_metrics.get("overall", {}).get("f1", 0.0) if dev_metrics else 0.0
            progress(f"{phase} dev F1 {f1:.3f}", len(batches), len(batches), running)
        if epoch + 1 < config.epochs:
            # A checkpoint per epoch: a run cut short on a shared machine still leaves a usable model.
            save_model(config.out_dir, model, tokenizer, manifest, run_metrics({}))

    metrics = run_metrics(evaluate_sentences(tagger, test_set))
    save_model(config.out_dir, model, tokenizer, manifest, metrics)
    return TrainingReport(metrics=metrics, out_dir=config.out_dir)
