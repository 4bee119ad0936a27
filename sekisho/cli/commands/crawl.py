"""`sekisho crawl SOURCE [--once]` and `sekisho crawl --all`: run the YAML-defined crawlers.

Records go to the raw topic (Kafka) and URL statuses to the crawl frontier (Elasticsearch) unless
``--sink``/``--frontier`` say otherwise; per-run stats are printed after each crawl.
"""

from __future__ import annotations

import time
from datetime import timedelta
from urllib.parse import urlsplit

import typer
from rich.console import Console
from rich.table import Table

from sekisho.settings import Settings, get_settings

console = Console()


def _row(summary: dict[str, int]) -> list[str]:
    errors = summary["http_errors"] + summary["fetch_failed"] + summary["content_type_rejected"]
    blocked = summary["refused"] + summary["robots_forbidden"]
    return [
        str(v)
        for v in (
            summary["pages"],
            summary["emitted"],
            summary["unchanged"],
            summary["not_modified"],
            summary["duplicates"],
            blocked,
            errors,
        )
    ]


def _fixture_targets(settings: Settings, entry_urls: list[str]) -> list[str]:
    """Let sources on the configured fixture site reach its (loopback) address and port, nothing else private."""
    fixture = urlsplit(settings.crawl_fixture_site_url)
    if any(urlsplit(url).netloc == fixture.netloc for url in entry_urls) and fixture.hostname:
        return [f"{fixture.hostname}:{fixture.port or 80}"]
    return []


def _apply_evidence_retention(settings: Settings) -> int:
    """Delete WARC files past ``crawl_evidence_max_age_days`` before each pass; how many went."""
    from crawlers.settings import evidence_dir
    from crawlers.warc_archive import prune

    directory = evidence_dir(settings)
    if not directory.exists():
        return 0
    return len(prune(directory, timedelta(days=settings.crawl_evidence_max_age_days)))


def register(app: typer.Typer) -> None:
    @app.command()
    def crawl(
        source: str = typer.Argument(None, help="source name (see --list), from crawlers/sources/*.yaml"),
        all_sources: bool = typer.Option(False, "--all", help="crawl every enabled source"),
        once: bool = typer.Option(False, "--once", help="one pass, then exit (default: recrawl as due, forever)"),
        list_sources: bool = typer.Option(False, "--list", help="list the source definitions and exit"),
        serve_fixture: bool = typer.Option(
            False, "--serve-fixture", help="serve the bundled fixture site (crawl_fixture_site_url) meanwhile"
        ),
        frontier: str = typer.Option("elasticsearch", help="where URL statuses persist: elasticsearch or memory"),
        sink: str = typer.Option("kafka", help="where records go: kafka (the raw topic) or none (count only)"),
        allow_private: list[str] = typer.Option(
            [], "--allow-private", help="an internal HOST:PORT crawls may reach; repeatable"
        ),
    ) -> None:
        """Crawl web sources politely and incrementally; findings go to the raw topic as CrawledPages."""
        from crawlers.runner import run_crawl
        from crawlers.sinks import CollectingSink, RecordSink
        from crawlers.source_grades import GradeBook, apply_grades, grade_book_path
        from crawlers.sources import load_sources

        settings = get_settings()
        # Analysts' regradings (API: PUT /api/sources/{name}/grade) override the YAML grades.
        sources = apply_grades(load_sources(settings.crawl_fixture_site_url), GradeBook(grade_book_path(settings.home)))
        if list_sources:
            table = Table("source", "kind", "grade", "enabled", "recrawl", "budget", "description")
            for src in sources.values():
                table.add_row(
                    src.name,
                    src.kind,
                    src.grade,
                    "yes" if src.enabled else "no",
                    f"{src.recrawl_interval_s / 3600:g}h",
                    str(src.budget),
                    src.description,
                )
            console.print(table)
            return
        if all_sources == (source is not None):
            console.print("[red]name one SOURCE or use --all[/] (sources: " + ", ".join(sources) + ")")
            raise typer.Exit(2)
        if source is not None and source not in sources:
            console.print(f"[red]unknown source {source!r}[/]; known: {', '.join(sources)}")
            raise typer.Exit(2)
        if frontier not in ("elasticsearch", "memory") or sink not in ("kafka", "none"):
            console.print("[red]--frontier is elasticsearch or memory; --sink is kafka or none[/]")
            raise typer.Exit(2)
        selected = [sources[source]] if source else [s for s in sources.values() if s.enabled]

        server = None
        if serve_fixture:
            from crawlers.fixture_site import FixtureServer

            port = urlsplit(settings.crawl_fixture_site_url).port or 8651
            server = FixtureServer.bundled(port=port, data_dir=settings.data_dir).start()
            console.print(f"fixture site on {server.url}")
        if sink == "kafka":
            from sekisho import kafka_io

            kafka_io.ensure_topics(settings)
        from crawlers.frontier import Frontier, InMemoryFrontier

        # One memory frontier for all passes, so that even without Elasticsearch recrawls stay incremental.
        chosen_frontier: Frontier | str = InMemoryFrontier() if frontier == "memory" else "elasticsearch"
        try:
            while True:
                expired = _apply_evidence_retention(settings)
                if expired:
                    console.print(f"evidence retention: {expired} WARC files older than the maximum age removed")
                table = Table(
                    "source",
                    "pages",
                    "emitted",
                    "same",
                    "304",
                    "dups",
                    "blocked",
                    "errors",
                    "s",
                    title="crawl",
                )
                for src in selected:
                    targets = [
                        *settings.crawl_allowed_private_targets,
                        *allow_private,
                        *_fixture_targets(settings, src.entry_urls()),
                    ]
                    run_settings = settings.model_copy(update={"crawl_allowed_private_targets": targets})
                    record_sink: RecordSink | str = CollectingSink() if sink == "none" else "kafka"
                    with console.status(f"crawling [bold]{src.name}[/] ({src.kind}) ..."):
                        report = run_crawl(src, run_settings, sink=record_sink, frontier=chosen_frontier)
                    table.add_row(src.name, *_row(report.summary()), f"{report.elapsed_s:.1f}")
                    for warning in report.warnings:
                        console.print(f"[yellow]{src.name}: {warning}[/]")
                console.print(table)
                if once:
                    break
                pause = min(src.recrawl_interval_s for src in selected)
                console.print(f"next pass in {pause:.0f}s (Ctrl-C to stop)")
                time.sleep(pause)
        except KeyboardInterrupt:
            console.print("stopped")
        finally:
            if server is not None:
                server.stop()
        if sink == "kafka":
            console.print(f"records on [bold]{settings.topic('raw')}[/]")
