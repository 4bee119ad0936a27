"""`sekisho ingest PATH…`: put feed files on the raw topic, optionally run the stream job over them."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from sekisho.settings import get_settings

console = Console()


def register(app: typer.Typer) -> None:
    @app.command()
    def ingest(
        paths: list[Path] = typer.Argument(..., help="feed files or directories (one file = one message)"),
        fmt: str = typer.Option("auto", "--format", help="format hint: auto, paxlst, pnrgov, cargo-imp, ..."),
        run_job: bool = typer.Option(False, "--run-job", help="then run the stream job until the topic is drained"),
    ) -> None:
        """Produce raw messages to Kafka (with progress), then optionally process them with PyFlink."""
        from sekisho import kafka_io
        from sekisho.cli.feed_files import message_files, raw_messages

        settings = get_settings()
        try:
            files = message_files(paths)
        except FileNotFoundError as exc:
            console.print(f"[red]no such file or directory:[/] {exc}")
            raise typer.Exit(2) from exc
        kafka_io.ensure_topics(settings)
        columns = (TextColumn("[cyan]ingest"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
        with Progress(*columns, console=console) as progress:
            task = progress.add_task("messages", total=len(files))
            sent = kafka_io.produce_raw(raw_messages(files, fmt), settings=settings,
                                        on_sent=lambda _m: progress.advance(task))
        console.print(f"{sent} messages on [bold]{settings.topic('raw')}[/]")
        if run_job:
            from streams.jobs import ingest_job

            console.print("running the ingest job on the local Flink mini-cluster ...")
            ingest_job.run(settings)
            console.print("ingest job finished")
