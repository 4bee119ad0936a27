"""`sekisho risk generate | train | score | evaluate | explain | retrain`: inspection-selection risk model."""

from __future__ import annotations

import csv
from datetime import datetime
from pathlib import Path

import pandas as pd
import typer
from rich.console import Console
from rich.table import Table

from enrichment.risk import columns as col
from enrichment.risk.evaluation import Evaluation, evaluate_split
from enrichment.risk.generator import generate_declarations
from enrichment.risk.model import TrainConfig
from enrichment.risk.store import load_model, retrain, train_and_save
from sekisho.settings import get_settings

app = typer.Typer(
    help="Rank customs declarations for inspection and post-clearance audit (train, score, evaluate).",
    no_args_is_help=True,
)
console = Console()


def _default_model_dir() -> Path:
    return get_settings().model_dir / "risk"


@app.command()
def generate(
    out: Path = typer.Option(..., help="CSV file to write"),
    rows: int = typer.Option(100_000, help="number of declarations"),
    seed: int = typer.Option(0, help="random seed (same seed, same file)"),
    days: int = typer.Option(730, help="length of the period in days, from 2023-01-01"),
) -> None:
    """Write synthetic labelled declarations (with planted fraud) in the BACUDA/DATE column layout."""
    with console.status(f"generating {rows:,} declarations"):
        frame = generate_declarations(rows, seed=seed, days=days)
    out.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(out, index=False)
    console.print(
        f"wrote {len(frame):,} declarations to {out}: {frame[col.ILLICIT].mean():.1%} illicit, "
        f"{frame[col.IMPORTER].nunique():,} importers, {frame[col.DATE].min()} .. {frame[col.DATE].max()}"
    )


@app.command()
def train(
    data: Path = typer.Option(..., exists=True, dir_okay=False, help="labelled declarations CSV"),
    model: Path = typer.Option(None, help="model directory to write (default: <model_dir>/risk)"),
    seed: int = typer.Option(0),
    threads: int = typer.Option(1, help="CPU threads for the boosters"),
) -> None:
    """Train the risk model (entity profiles, dual-objective boosters, calibration) into a directory."""
    model_dir = model or _default_model_dir()
    with console.status("training the risk model"):
        frame = col.load_declarations(data, with_labels=True)
        trained = train_and_save(frame, model_dir, TrainConfig(seed=seed, threads=threads))
    meta = trained.metadata
    console.print(
        f"trained {trained.name} on {meta['trained_rows']:,} declarations ({meta['trained_from']} .. "
        f"{meta['trained_to']}); alpha={trained.alpha}, rounds={meta['classifier_rounds']}/"
        f"{meta['revenue_rounds']}; saved to {model_dir}"
    )


@app.command()
def score(
    data: Path = typer.Option(..., exists=True, dir_okay=False, help="declarations CSV (labels are ignored)"),
    out: Path = typer.Option(..., help="CSV to write: sgd.id,score"),
    model: Path = typer.Option(None, help="model directory (default: <model_dir>/risk)"),
    reasons: bool = typer.Option(False, help="add a `reasons` column (top contributing features)"),
    revenue: bool = typer.Option(
        False, help="add an `expected_revenue` column (P(illicit) x revenue when illicit), for audit selection"
    ),
) -> None:
    """Score declarations: a calibrated probability of illicitness, higher is riskier."""
    trained = load_model(model or _default_model_dir())
    frame = col.load_declarations(data, with_labels=False)
    out.parent.mkdir(parents=True, exist_ok=True)
    with console.status(f"scoring {len(frame):,} declarations"):
        if reasons:
            explained = trained.explain(frame)
            result = pd.DataFrame(
                {
                    col.ID: frame[col.ID],
                    "score": [s for s, _, _ in explained],
                    "reasons": ["; ".join(r) for _, r, _ in explained],
                }
            )
        else:
            result = pd.DataFrame({col.ID: frame[col.ID], "score": trained.score(frame)})
        if revenue:
            result["expected_revenue"] = trained.expected_revenue(frame)
    result.to_csv(out, index=False, float_format="%.6f")
    console.print(f"scored {len(result):,} declarations into {out}")


def print_evaluation(result: Evaluation, console: Console) -> None:
    """The comparison table (used by `sekisho risk evaluate` and the benchmark)."""
    table = Table(
        "inspected",
        "precision",
        "XGBoost",
        "ratio",
        "recall",
        "XGBoost",
        "revenue",
        "XGBoost",
        "ratio",
        title=(
            f"risk model vs XGBoost baseline: train < {result.split_date} ({result.train_rows:,} rows), "
            f"test >= {result.split_date} ({result.test_rows:,} rows, "
            f"{result.test_illicit_rate:.1%} illicit, "
            f"{result.test_new_importer_share:.1%} from unseen importers)"
        ),
    )
    for ours, base in zip(result.model, result.baseline, strict=True):
        table.add_row(
            f"{ours.rate:g}% ({ours.inspected:,})",
            f"{ours.precision:.3f}",
            f"{base.precision:.3f}",
            f"{result.ratio('precision', ours.rate):.2f}x",
            f"{ours.recall:.3f}",
            f"{base.recall:.3f}",
            f"{ours.revenue:.3f}",
            f"{base.revenue:.3f}",
            f"{result.ratio('revenue', ours.rate):.2f}x",
        )
    console.print(table)
    console.print(
        f"calibration: mean score {result.mean_score:.3f} vs illicit rate {result.test_illicit_rate:.3f}, "
        f"Brier {result.brier:.4f}; time: model {result.model_seconds:.1f}s, "
        f"XGBoost {result.baseline_seconds:.1f}s; scoring {result.batch_rows_per_second:,.0f} rows/s in batch, "
        f"{result.single_row_ms:.1f} ms per declaration scored and explained alone"
    )
    if result.model_revenue_ranked and result.baseline_value_weighted:
        audit = Table(
            "inspected",
            "precision",
            "XGBoost x CIF",
            "revenue",
            "XGBoost x CIF",
            "ratio",
            title="audit selection, ranked by expected revenue (risk model) vs XGBoost probability x CIF value",
        )
        for ours, base in zip(result.model_revenue_ranked, result.baseline_value_weighted, strict=True):
            audit.add_row(
                f"{ours.rate:g}% ({ours.inspected:,})",
                f"{ours.precision:.3f}",
                f"{base.precision:.3f}",
                f"{ours.revenue:.3f}",
                f"{base.revenue:.3f}",
                f"{ours.revenue / base.revenue:.2f}x" if base.revenue else "-",
            )
        console.print(audit)
    if result.new_importer_rows:
        console.print(
            f"cold start: among the {result.new_importer_rows:,} test declarations of importers unseen in "
            f"training, precision@10% {result.new_importer_precision:.3f} vs XGBoost "
            f"{result.new_importer_baseline_precision:.3f}"
        )


@app.command()
def evaluate(
    data: Path = typer.Option(..., exists=True, dir_okay=False, help="labelled declarations CSV"),
    split_date: str = typer.Option(None, help="YYYY-MM-DD; default: the last 20 % of dates are the test"),
    seed: int = typer.Option(0),
    threads: int = typer.Option(1, help="CPU threads for the boosters"),
) -> None:
    """Precision, recall and revenue at 1/2/5/10 % inspected, next to an XGBoost baseline (time split)."""
    frame = col.load_declarations(data, with_labels=True)
    split = pd.Timestamp(datetime.strptime(split_date, "%Y-%m-%d")) if split_date else None
    with console.status("training both models on the earlier period and scoring the later one"):
        result = evaluate_split(frame, split, TrainConfig(seed=seed, threads=threads))
    print_evaluation(result, console)


@app.command()
def explain(
    data: Path = typer.Option(..., exists=True, dir_okay=False, help="declarations CSV (labels are ignored)"),
    model: Path = typer.Option(None, help="model directory (default: <model_dir>/risk)"),
    top: int = typer.Option(10, help="how many of the riskiest declarations to show"),
) -> None:
    """Show the riskiest declarations with their score and the reasons behind it."""
    trained = load_model(model or _default_model_dir())
    frame = col.load_declarations(data, with_labels=False)
    scores = trained.score(frame)
    riskiest = frame.iloc[scores.argsort()[::-1][:top]]
    table = Table("sgd.id", "importer", "tariff", "score", "reasons")
    for (_, row), (value, reasons, _) in zip(riskiest.iterrows(), trained.explain(riskiest), strict=True):
        table.add_row(
            str(row[col.ID]), str(row[col.IMPORTER]), str(row[col.TARIFF]), f"{value:.3f}", "\n".join(reasons)
        )
    console.print(table)


@app.command("retrain")
def retrain_command(
    feedback: Path = typer.Option(
        ...,
        exists=True,
        dir_okay=False,
        help="inspection results CSV: declaration columns plus illicit[,revenue]",
    ),
    model: Path = typer.Option(None, help="model directory to update (default: <model_dir>/risk)"),
) -> None:
    """Add officers' inspection results to the training history and refit the model in place."""
    model_dir = model or _default_model_dir()
    with feedback.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    with console.status(f"retraining with {len(rows):,} inspection results"):
        trained = retrain(model_dir, rows)
    console.print(
        f"retrained on {trained.metadata['trained_rows']:,} declarations "
        f"({trained.metadata['feedback_rows']:,} from inspection feedback); saved to {model_dir}"
    )
