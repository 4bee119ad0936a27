"""`sekisho screen pairs`, `name` and `threshold`: watchlist name matching from the command line.

``pairs FILE.csv --left COL --right COL [--schema-col COL]`` copies the CSV (to stdout or ``--out``)
with two added columns: ``score`` (0-1) and ``match`` (``true``/``false`` at the default threshold,
the setting ``SEKISHO_SCREENING_THRESHOLD``).

``name "…" [--schema Person]`` screens one name against every list and shows the best entries with
their scores and what matched.

``threshold`` shows precision, recall and F1 at a range of thresholds on the labelled name pairs
(dev part by default), with the deployment's setting marked: what moving it would cost.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path
from typing import TextIO

import typer
from rich.console import Console
from rich.table import Table

from sekisho.settings import get_settings

app = typer.Typer(
    help="Screen names against the sanctions and watchlists (OFAC, UN, US CSL, BIS DPL).",
    no_args_is_help=True,
)
err_console = Console(stderr=True)


def _matcher_status() -> None:
    """A warning on stderr when the screening matcher runs from its sources, not compiled (slower);
    commands that load the index get it from :func:`load_index`."""
    from enrichment.screening import native

    if not native.COMPILED:
        err_console.print(f"[yellow]warning: screening matcher: {native.status()}[/yellow]")


def _column(header: list[str], name: str, option: str) -> int:
    if name not in header:
        err_console.print(f"[red]{option} {name!r} is not a column of the CSV (columns: {', '.join(header)})[/red]")
        raise typer.Exit(2)
    return header.index(name)


def _copy_with_scores(
    source: TextIO, target: TextIO, left: str, right: str, schema_col: str | None, threshold: float
) -> int:
    from enrichment.screening.matcher import NameMatcher, Subject
    from enrichment.screening.names import kind_of, prepare_name

    _matcher_status()
    reader = csv.reader(source)
    writer = csv.writer(target, lineterminator="\n")
    header = next(reader, None)
    if header is None:
        err_console.print("[red]the CSV is empty[/red]")
        raise typer.Exit(2)
    left_at = _column(header, left, "--left")
    right_at = _column(header, right, "--right")
    schema_at = _column(header, schema_col, "--schema-col") if schema_col else None
    writer.writerow([*header, "score", "match"])
    matcher = NameMatcher()
    rows = 0
    for row in reader:
        if not row:
            continue
        cells = row + [""] * (len(header) - len(row))
        kind = kind_of(cells[schema_at].strip()) if schema_at is not None else "UNK"
        comparison = matcher.compare(
            Subject((prepare_name(cells[left_at], kind),)), Subject((prepare_name(cells[right_at], kind),))
        )
        writer.writerow([*row, f"{comparison.score:.4f}", "true" if comparison.score >= threshold else "false"])
        rows += 1
    return rows


@app.command()
def pairs(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="CSV with a header row"),
    left: str = typer.Option(..., "--left", help="column with the first name of each pair"),
    right: str = typer.Option(..., "--right", help="column with the second name of each pair"),
    schema_col: str | None = typer.Option(
        None, "--schema-col", help="column with the kind of both names: Person, Company, Vessel, LegalEntity…"
    ),
    out: Path | None = typer.Option(None, "--out", help="write here instead of stdout"),
) -> None:
    """Score each pair of names in a CSV; adds the columns `score` (0-1) and `match` (true/false)."""
    threshold = get_settings().screening_threshold
    with file.open(encoding="utf-8-sig", newline="") as source:
        if out is None:
            _copy_with_scores(source, sys.stdout, left, right, schema_col, threshold)
        else:
            with out.open("w", encoding="utf-8", newline="") as target:
                rows = _copy_with_scores(source, target, left, right, schema_col, threshold)
            err_console.print(f"{rows} pairs scored -> {out}")


@app.command()
def name(
    query: str = typer.Argument(..., help="the name to screen, in any script"),
    schema: str | None = typer.Option(None, "--schema", help="Person, Company, Vessel or Aircraft"),
    dob: str | None = typer.Option(None, "--dob", help="date of birth, YYYY or YYYY-MM-DD (evidence)"),
    country: list[str] = typer.Option([], "--country", help="nationality, ISO alpha-2 (evidence); repeatable"),
    limit: int = typer.Option(10, "--limit", min=1, help="how many entries to show"),
    watchlists: Path | None = typer.Option(
        None, "--watchlists", help="list directory (default: the snapshot with the latest crawled lists in place)"
    ),
) -> None:
    """Show the list entries that best match a name, with scores and explanations."""
    from enrichment.screening.index import load_index
    from enrichment.stages import screening_lists

    settings = get_settings()
    with err_console.status("loading the watchlist index…"):  # load_index warns when the matcher is not compiled
        index = load_index(watchlists or screening_lists(settings), settings.home / "cache" / "screening")
        matches = index.screen_name(query, schema, birth_date=dob, countries=tuple(country), limit=limit)
    console = Console()
    if not matches:
        console.print(f"no list entry resembles {query!r}")
        return
    table = Table(title=f"{query} — best list entries (match from {settings.screening_threshold:.2f})")
    for column in ("score", "match", "list", "entry", "schema", "matched name", "why"):
        table.add_column(column, overflow="fold")
    for match in matches:
        is_match = match.score >= settings.screening_threshold
        table.add_row(
            f"{match.score:.3f}",
            "[bold red]yes[/bold red]" if is_match else "no",
            match.entry.list_name,
            match.entry.entry_id,
            match.entry.schema,
            match.comparison.names.right,
            "; ".join([match.comparison.names.describe(), *match.comparison.evidence]),
        )
    console.print(table)


@app.command()
def rescreen(
    before: Path | None = typer.Option(
        None, "--before", exists=True, file_okay=False,
        help="list directory of the earlier version (default: the lists the last re-screening ran against)",
    ),
    hours: float | None = typer.Option(
        None, "--hours", min=0, help="travellers arriving within this many hours (default: rescreen_arrival_hours)"
    ),
    dry_run: bool = typer.Option(False, "--dry-run", help="show the new hits, raise no alert, keep the baseline"),
) -> None:
    """Re-screen travellers arriving soon, unreleased consignments and known companies against the list
    entries that changed since the last run; each new hit becomes an alert "new on list X since …"."""
    from datetime import UTC, datetime

    from enrichment.screening.decisions import ClearedPairs
    from enrichment.screening.loaders import load_all
    from enrichment.screening.rescreen import list_change
    from enrichment.screening.rescreen import rescreen as rescreen_records
    from enrichment.stages import screening_lists
    from pipeline.screening_decisions import stored_decisions
    from targeting.rescreen import ListBaseline, rescreen_alert, seen_in_window, write_alerts

    settings = get_settings()
    console = Console()
    now = datetime.now(UTC)
    current_dir = screening_lists(settings)
    baseline = ListBaseline(settings.home / "cache" / "rescreen" / "baseline")
    earlier = load_all(before) if before is not None else baseline.entries()
    if earlier is None:
        baseline.save(current_dir)
        console.print(f"no earlier list version known: baseline recorded from {current_dir}; the next run "
                      "re-screens against what changed since")
        return
    change = list_change(earlier, load_all(current_dir))
    console.print(f"list change: {change.summary()}")
    window = settings.rescreen_arrival_hours if hours is None else hours
    with err_console.status("re-screening what was seen…"):
        cleared = ClearedPairs.of(stored_decisions(settings))
        records = list(seen_in_window(settings, now, window))
        found = list(rescreen_records(records, change.entries, settings.screening_threshold,
                                      settings.screening_max_hits, cleared))
    table = Table(title=f"{len(found)} new hits among {len(records)} records seen (travellers arriving within "
                        f"{window:g} h, unreleased consignments, companies)")
    for column in ("list", "entry", "record", "matched", "score"):
        table.add_column(column, overflow="fold")
    for new in found:
        table.add_row(new.hit.list_name, new.hit.entry_id, new.record.id, new.hit.matched_name, f"{new.hit.score:.2f}")
    console.print(table)
    if dry_run:
        return
    raised = write_alerts((rescreen_alert(new, now.date(), now) for new in found), settings)
    baseline.save(current_dir)
    console.print(f"{raised} alerts raised; baseline moved to the current lists")


@app.command()
def threshold(
    pairs_file: Path | None = typer.Option(
        None, "--pairs", help="labelled pairs CSV (default: names/screening_pairs.csv under the data_dir setting)"
    ),
    part: str = typer.Option("dev", "--part", help="which part of the pairs: dev (tuning) or test (held out)"),
    watchlists: Path | None = typer.Option(None, "--watchlists", help="list directory (default: the setting)"),
) -> None:
    """Show the precision/recall trade-off of the match threshold on labelled name pairs.

    The deployment's threshold is the setting SEKISHO_SCREENING_THRESHOLD; this table shows what a
    higher one costs in recall and a lower one in false alerts, with the current setting marked.
    """
    from enrichment.screening.evaluation import read_pairs, tradeoff
    from enrichment.screening.index import load_index
    from enrichment.stages import screening_lists

    settings = get_settings()
    path = pairs_file or settings.data_dir / "names" / "screening_pairs.csv"
    if not path.exists():
        err_console.print(f"[red]no labelled pairs at {path}[/red]")
        raise typer.Exit(2)
    pairs = [pair for pair in read_pairs(path) if pair.split == part]
    if not pairs:
        err_console.print(f"[red]no pairs in part {part!r} of {path}[/red]")
        raise typer.Exit(2)
    with err_console.status("loading the watchlist index and scoring the pairs…"):
        index = load_index(watchlists or screening_lists(settings), settings.home / "cache" / "screening")
        current = round(settings.screening_threshold, 2)
        steps = sorted({round(0.60 + 0.05 * step, 2) for step in range(8)} | {current})
        rows = tradeoff(pairs, index.matcher, steps)
    positives = sum(pair.label for pair in pairs)
    table = Table(title=f"match threshold on {len(pairs)} {part} pairs ({positives} same party) from {path.name}")
    for column in ("threshold", "precision", "recall", "F1", ""):
        table.add_column(column, justify="right")
    for value, precision, recall, f1 in rows:
        mark = "[bold]current setting[/bold]" if value == current else ""
        table.add_row(f"{value:.2f}", f"{precision:.3f}", f"{recall:.3f}", f"{f1:.3f}", mark)
    Console().print(table)
    Console().print("Set the deployment's threshold with SEKISHO_SCREENING_THRESHOLD.")
