"""`sekisho ingest PATH…`: put feed files on the raw topic, optionally run the stream job over them, and
report per file what parsing makes of it (records by type, warnings by code, dead letters by reason)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from sekisho.settings import get_settings

if TYPE_CHECKING:
    from pipeline.parse_report import FileReport
    from sekisho.kafka_io import RawMessage

console = Console()


def _counts(counter: Counter[str]) -> str:
    return "\n".join(f"{name} {count}" for name, count in sorted(counter.items())) or "-"


def report_table(files: list[FileReport]) -> Table:
    from pipeline.parse_report import totals

    table = Table(title="parse report per file", show_lines=True)
    for column in ("file", "records by type", "warnings by code", "dead letters by reason"):
        table.add_column(column, overflow="fold")
    for report in [*files, totals(files)]:
        table.add_row(report.source, _counts(report.records), _counts(report.warnings), _counts(report.dead_letters))
    return table


def register(app: typer.Typer) -> None:
    @app.command()
    def ingest(
        paths: list[Path] = typer.Argument(..., help="feed files or directories (one file = one message)"),
        fmt: str = typer.Option("auto", "--format", help="format hint: auto, paxlst, pnrgov, cargo-imp, ..."),
        run_job: bool = typer.Option(False, "--run-job", help="then run the stream job until the topic is drained"),
        report: Path | None = typer.Option(None, "--report", help="also write the per-file parse report as JSON"),
        dry_run: bool = typer.Option(False, "--dry-run", help="parse and report only; send nothing to Kafka"),
    ) -> None:
        """Produce raw messages to Kafka (with progress), then optionally process them with PyFlink.

        Ends with a table per file of what parsing makes of it: records by type, the tolerated deviations
        (warnings by code) and dead letters by reason. Validation in the stream may add dead letters."""
        from feeds import MessageContext, parse_message
        from pipeline.parse_report import report_json, report_of
        from sekisho.cli.feed_files import message_files, raw_messages

        settings = get_settings()
        try:
            files = message_files(paths)
        except FileNotFoundError as exc:
            console.print(f"[red]no such file or directory:[/] {exc}")
            raise typer.Exit(2) from exc
        reports: list[FileReport] = []

        def parsed(message: RawMessage) -> None:
            context = MessageContext(source=message.source)
            records = parse_message(message.payload, context, fmt=fmt, max_bytes=settings.max_message_bytes)
            reports.append(report_of(message.source, records))

        if dry_run:
            for message in raw_messages(files, fmt):
                parsed(message)
        else:
            from sekisho import kafka_io

            kafka_io.ensure_topics(settings)
            columns = (TextColumn("[cyan]ingest"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
            with Progress(*columns, console=console) as progress:
                task = progress.add_task("messages", total=len(files))

                def sent(message: RawMessage) -> None:
                    parsed(message)
                    progress.advance(task)

                count = kafka_io.produce_raw(raw_messages(files, fmt), settings=settings, on_sent=sent)
            console.print(f"{count} messages on [bold]{settings.topic('raw')}[/]")
        console.print(report_table(reports))
        if report is not None:
            report.write_text(json.dumps(report_json(reports), indent=2) + "\n", encoding="utf-8")
            console.print(f"report written to {report}")
        if run_job and not dry_run:
            from streams.jobs import ingest_job

            console.print("running the ingest job on the local Flink mini-cluster ...")
            ingest_job.run(settings)
            console.print("ingest job finished")
