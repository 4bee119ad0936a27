"""`sekisho ner train | pack | export | tag | evaluate | find`: named-entity recognition (PER, ORG, LOC, MISC)."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Literal, cast

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from sekisho.settings import get_settings

if TYPE_CHECKING:
    from enrichment.ner.recognizer import TransformerRecognizer

app = typer.Typer(
    help="Named-entity recognition: train the transformer tagger, tag CoNLL files, evaluate, find entities.",
    no_args_is_help=True,
)
console = Console(stderr=True)

# Models load from local directories only; never reach for a model hub.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


def _model_dir(model: Path | None) -> Path:
    from enrichment.stages import ner_model_path

    return model or ner_model_path(get_settings())


@app.command()
def train(
    out: Path | None = typer.Option(None, "--out", help="model directory (default: the ner_model_dir setting)"),
    epochs: int = typer.Option(1, min=1, help="passes over the training data"),
    max_sentences: int | None = typer.Option(None, min=1, help="cap on training sentences (for quick runs)"),
    seed: int = typer.Option(13, help="seed for shuffling and initialisation"),
    data: Path | None = typer.Option(None, help="folder with wikiann_en_*.txt and wnut17_*.conll"),
    newswire: Path | None = typer.Option(
        None, "--newswire", exists=True, file_okay=False,
        help="folder with CoNLL-2003 train.txt and valid.txt: train on train.txt, select on the first half of "
        "valid.txt's documents, report the second half (test.txt is never read)",
    ),
    wikiann: bool = typer.Option(True, "--wikiann/--no-wikiann", help="train on WikiANN-en train"),
    wnut: bool = typer.Option(True, "--wnut/--no-wnut", help="train on WNUT-17 train"),
    max_length: int = typer.Option(128, min=16, help="word pieces per training sentence"),
    threads: int = typer.Option(1, min=1, help="CPU threads (one is fastest on a busy shared machine)"),
    test_sentences: int | None = typer.Option(None, min=0, help="test sentences scored at the end (0: none)"),
    dev_sentences: int = typer.Option(1000, min=0, help="dev sentences held out and scored per epoch"),
    max_minutes: float | None = typer.Option(None, min=0.1, help="stop training (and save) after this long"),
    init_from: Path | None = typer.Option(
        None, "--init-from", exists=True, file_okay=False, help="continue from this saved NER model (warm start)"
    ),
    with_wikiann_dev: bool = typer.Option(
        False, "--with-wikiann-dev", help="also train on WikiANN dev beyond the held-out --dev-sentences"
    ),
    encoder_learning_rate: float = typer.Option(1e-4, min=0.0, help="peak learning rate of the encoder"),
    head_learning_rate: float = typer.Option(1e-3, min=0.0, help="peak learning rate of the casing and label head"),
    warmup_fraction: float = typer.Option(0.06, min=0.0, max=0.5, help="share of steps spent warming up"),
    uppercase_share: float = typer.Option(
        0.0, min=0.0, max=1.0, help="share of training sentences replaced by their upper-case form"
    ),
    bf16: bool = typer.Option(False, "--bf16", help="train in bfloat16 autocast (faster with AMX/AVX-512 BF16)"),
    train_word_embeddings: bool = typer.Option(
        False, "--train-word-embeddings", help="also update the word-piece embedding matrix (slower per step)"
    ),
    keep_layers: str | None = typer.Option(
        None, "--keep-layers", help="encoder layers to keep from the starting model, e.g. 0,1,2,5 (a smaller student)"
    ),
    distil_from: Path | None = typer.Option(
        None, "--distil-from", exists=True, file_okay=False,
        help="saved NER model whose label distributions are a second training target (knowledge distillation)",
    ),
    distil_weight: float = typer.Option(0.5, min=0.0, max=1.0, help="weight of the distillation target"),
    distil_temperature: float = typer.Option(2.0, min=0.1, help="softening temperature of the distillation target"),
) -> None:
    """Fine-tune the cased MiniLM token classifier (CoNLL-2003, WikiANN-en, WNUT-17); write model, labels, metrics."""
    from enrichment.ner.training import TrainingConfig
    from enrichment.ner.training import train as run_training
    from enrichment.stages import ner_training_path

    settings = get_settings()
    config = TrainingConfig(
        data_dir=data or settings.ner_data_dir,
        out_dir=out or ner_training_path(settings),
        epochs=epochs,
        max_sentences=max_sentences,
        seed=seed,
        max_length=max_length,
        threads=threads,
        test_sentences=test_sentences,
        dev_sentences=dev_sentences,
        max_minutes=max_minutes,
        init_from=init_from,
        use_wikiann_dev=with_wikiann_dev,
        use_wikiann=wikiann,
        use_wnut=wnut,
        newswire_dir=newswire,
        encoder_learning_rate=encoder_learning_rate,
        head_learning_rate=head_learning_rate,
        warmup_fraction=warmup_fraction,
        freeze_word_embeddings=not train_word_embeddings,
        bf16=bf16,
        uppercase_share=uppercase_share,
        keep_layers=_layer_indices(keep_layers) if keep_layers else None,
        distil_from=distil_from,
        distil_weight=distil_weight,
        distil_temperature=distil_temperature,
    )
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
               TextColumn("loss {task.fields[loss]:.3f}"))
    with Progress(*columns, console=console) as progress:
        tasks: dict[str, int] = {}

        def report(phase: str, done: int, total: int, loss: float) -> None:
            key = phase.split(" dev ")[0]
            if key not in tasks:
                tasks[key] = int(progress.add_task(phase, total=total, loss=loss))
            progress.update(tasks[key], completed=done, description=phase, loss=loss)  # type: ignore[arg-type]

        result = run_training(config, report)
    test = result.metrics.get("test", {}).get("overall", {})
    console.print(f"[green]saved[/] {config.out_dir}  test F1 {test.get('f1', float('nan'))}")
    typer.echo(json.dumps(result.metrics.get("test", {}), indent=2))


def _layer_indices(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(part) for part in text.split(","))
    except ValueError as exc:
        raise typer.BadParameter(f"{text!r} is not a comma-separated list of layer numbers",
                                 param_hint="--keep-layers") from exc


@app.command()
def pack(
    model: Path = typer.Option(..., "--model", exists=True, file_okay=False, help="trained model directory"),
    out: Path | None = typer.Option(None, "--out", help="packed model directory (default: the shipped model)"),
) -> None:
    """Write the compact form of a trained model (int8 rows, float16, base embeddings by digest)."""
    from enrichment.ner.model import SHIPPED_MODEL, save_packed

    target = out or SHIPPED_MODEL
    summary = save_packed(model, target)
    console.print(f"packed {model} -> {target}: {summary['tensors']} tensors, {summary['bytes'] / 1e6:.1f} MB")


@app.command()
def export(
    model: Path | None = typer.Option(None, "--model", help="model directory (default: the one the stream runs)"),
    form: str = typer.Option("int8", "--form", help="int8 (what runs by default) or fp32"),
) -> None:
    """Build the model's ONNX Runtime graph into the cache now (else the first use builds it, about 30 s)."""
    from enrichment.ner.onnx_export import cached_onnx
    from enrichment.stages import ner_onnx_cache

    if form not in ("int8", "fp32"):
        raise typer.BadParameter(f"unknown form {form!r}", param_hint="--form")
    directory = _model_dir(model)
    try:
        path = cached_onnx(directory, ner_onnx_cache(get_settings()), cast(Literal["int8", "fp32"], form))
    except FileNotFoundError as exc:
        console.print(f"[red]{exc}[/]")
        raise typer.Exit(2) from exc
    console.print(f"{directory} -> {path} ({path.stat().st_size / 1e6:.1f} MB)")
    typer.echo(str(path))


@app.command()
def tag(
    conll: Path = typer.Option(..., "--conll", exists=True, dir_okay=False, help="CoNLL file (token first)"),
    model: Path | None = typer.Option(None, "--model", help="model directory"),
    out: Path | None = typer.Option(None, "--out", help="write here instead of standard output"),
) -> None:
    """Write `token<TAB>BIO-tag` for each token of FILE, keeping its order and blank lines."""
    from enrichment.ner.corpus import format_tagged, read_conll_tokens
    recognizer = _load(model)
    shape = read_conll_tokens(conll.read_text(encoding="utf-8").splitlines())
    sentences = [item for item in shape if item is not None]
    tags = recognizer.tag_tokens(sentences)
    lines = "".join(line + "\n" for line in format_tagged(shape, tags))
    if out is None:
        sys.stdout.write(lines)
    else:
        out.write_text(lines, encoding="utf-8")


@app.command()
def evaluate(
    file: Path | None = typer.Argument(
        None, exists=True, dir_okay=False, help="gold file: CoNLL columns (token first, tag last) or [TYPE text] markup"
    ),
    conll: Path | None = typer.Option(None, "--conll", exists=True, dir_okay=False, help="same as FILE"),
    model: Path | None = typer.Option(None, "--model", help="model directory"),
    types: str = typer.Option("PER,ORG,LOC", help="entity types that count (comma-separated)"),
    token_prefix: str = typer.Option("", help="prefix to strip from tokens, e.g. 'en:' for WikiANN"),
    precision: str = typer.Option(
        "auto", help="encoder arithmetic: auto (= int8), int8 (ONNX Runtime), onnx-fp32, fp32, bf16 or torch-int8"
    ),
    spacy: bool = typer.Option(True, "--spacy/--no-spacy", help="also score spaCy's small English pipeline"),
    entity_rules: bool = typer.Option(True, "--entity-rules/--no-entity-rules", help="apply entity post-processing"),
    as_json: bool = typer.Option(False, "--json", help="print JSON (scores by system name) instead of tables"),
) -> None:
    """Entity-level precision, recall and F1 per type (exact span and type) against a gold file.

    The transformer and, unless --no-spacy, spaCy's small English pipeline tag the same tokens in the
    same run, so the two tables compare like with like.
    """
    from enrichment.ner.corpus import read_gold
    from enrichment.ner.recognizer import TokenTagger
    from enrichment.ner.spans import evaluate_tags

    gold_file = file or conll
    if gold_file is None:
        console.print("[red]give the gold file (FILE or --conll)[/]")
        raise typer.Exit(2)
    from enrichment.ner.recognizer import PRECISIONS

    if precision not in PRECISIONS:
        raise typer.BadParameter(f"unknown precision {precision!r}", param_hint="--precision")
    systems: dict[str, TokenTagger] = {}
    transformer = _load(model, precision, entity_rules)
    systems[f"transformer ({transformer.name})"] = transformer
    if spacy:
        from enrichment.ner.spacy_pipeline import SpacyRecognizer

        spacy_tagger = SpacyRecognizer()
        systems[spacy_tagger.name] = spacy_tagger
    prefix = token_prefix or ("en:" if _looks_prefixed(gold_file) else "")
    gold = read_gold(gold_file, token_prefix=prefix)
    wanted = [kind.strip() for kind in types.split(",") if kind.strip()]
    report: dict[str, object] = {}
    for name, tagger in systems.items():
        predicted = tagger.tag_tokens([sentence.tokens for sentence in gold])
        evaluation = evaluate_tags([sentence.tags for sentence in gold], predicted, wanted)
        report[name] = evaluation.as_dict()
        if as_json:
            continue
        table = Table("type", "precision", "recall", "F1", "gold", "predicted",
                      title=f"{gold_file.name}: {name} ({len(gold)} sentences)")
        for kind, score in [*sorted(evaluation.by_type.items()), ("overall", evaluation.overall)]:
            table.add_row(kind, f"{score.precision:.4f}", f"{score.recall:.4f}", f"{score.f1:.4f}",
                          str(score.gold), str(score.predicted))
        Console().print(table)
    if as_json:
        typer.echo(json.dumps(report, indent=2))


@app.command()
def find(
    text: str = typer.Argument(..., help="free text"),
    model: Path | None = typer.Option(None, "--model", help="model directory"),
) -> None:
    """Print the entities found in TEXT as JSON lines (label, text, character offsets, score)."""
    recognizer = _load(model)
    for mention in recognizer.recognize([text])[0]:
        typer.echo(mention.model_dump_json(exclude_none=True))


def _load(model: Path | None, precision: str = "auto", entity_rules: bool = True) -> TransformerRecognizer:
    from enrichment.ner.recognizer import Precision, load_recognizer
    from enrichment.stages import ner_onnx_cache

    directory = _model_dir(model)
    settings = get_settings()
    try:
        return load_recognizer(directory, threads=settings.ner_threads, precision=cast(Precision, precision),
                               entity_rules=entity_rules, onnx_cache=ner_onnx_cache(settings))
    except FileNotFoundError as exc:
        console.print(f"[red]{exc}[/]")
        raise typer.Exit(2) from exc


def _looks_prefixed(path: Path) -> bool:
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                return line.startswith("en:")
    return False
