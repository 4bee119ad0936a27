"""`sekisho demo`: the main job on the embedded local default, end to end, with a summary."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from schemas.indexed import INDEXED_TYPES
from sekisho.settings import PROJECT_ROOT, Settings, get_settings

console = Console()


def _step(title: str) -> None:
    console.rule(f"[bold cyan]{title}")


def _timed(title: str, fn: Callable[[], object]) -> object:
    _step(title)
    started = time.monotonic()
    result = fn()
    console.print(f"[dim]{title}: {time.monotonic() - started:.1f}s[/]")
    return result


def register(app: typer.Typer) -> None:
    @app.command()
    def demo(
        feeds: list[Path] = typer.Option([PROJECT_ROOT / "data" / "feeds"], help="feed files or directories"),
        generate: bool = typer.Option(True, help="also generate the planted-scenario feeds"),
        crawl: bool = typer.Option(True, help="crawl the bundled fixture site"),
    ) -> None:
        """Start the stack, ingest the sample and generated feeds, crawl the fixture site, run the
        stream job with enrichment, build the link graph and the day's queue, and print what was found."""
        from sekisho import es_io
        from sekisho import stack as local_stack
        from sekisho.cli.commands.demo_steps import (
            build_graph_and_queue,
            crawl_fixture_site,
            generate_feeds,
            ingest_paths,
            prepare_models,
        )
        from streams.jobs import ingest_job

        settings = get_settings()
        _timed("local stack", lambda: local_stack.up(settings, on_progress=lambda m: console.print(f"  {m}")))
        paths = list(feeds)
        if generate:
            generated = _timed("generate planted-scenario feeds", lambda: generate_feeds(settings))
            if isinstance(generated, Path):
                paths.append(generated)
        _timed("models", lambda: prepare_models(settings, console))
        sent = _timed("ingest feeds into Kafka", lambda: ingest_paths(paths, settings))
        console.print(f"  {sent} messages on {settings.topic('raw')}")
        if crawl:
            pages = _timed("crawl the bundled fixture site", lambda: crawl_fixture_site(settings, console))
            console.print(f"  {pages} pages on {settings.topic('raw')}")
        _timed("stream job (PyFlink mini-cluster: parse, enrich, validate, index)",
               lambda: ingest_job.run(settings))
        es_io.refresh(settings)
        _timed("link graph and inspection queue", lambda: build_graph_and_queue(settings, console))
        print_summary(settings)


def print_summary(settings: Settings) -> None:
    from sekisho import es_io

    table = Table("index", "documents", title="What was found")
    for name in INDEXED_TYPES:
        table.add_row(es_io.alias_name(name, settings), str(es_io.count(name, settings)))
    console.print(table)
    reasons = Counter(d.get("reason", "?") for d in es_io.scan("rejection", None, settings))
    if reasons:
        dead = Table("reason", "dead letters", title="Dead letters (also on the topic "
                     f"{settings.topic('deadletter')})")
        for reason, n in reasons.most_common():
            dead.add_row(reason, str(n))
        console.print(dead)
    hits = es_io.search(["passenger", "party", "booking", "consignment", "crawled_page", "declaration"],
                        {"exists": {"field": "screening.entry_id"}}, settings, size=10)
    if hits:
        screen = Table("record", "name", "watchlist match", "score", title="Screening leads (for review)")
        name_fields = ("full_name", "name", "payer_name", "consignee_name", "title")
        for hit in hits:
            best: dict[str, Any] = max(hit.get("screening", []), key=lambda h: h.get("score", 0), default={})
            name = next((hit[k] for k in name_fields if hit.get(k)), "")
            screen.add_row(hit["_id"], str(name),
                           f"{best.get('matched_name', '')} ({best.get('list_name', '')})",
                           f"{best.get('score', 0):.2f}")
        console.print(screen)
    pages = es_io.search("crawled_page", {"exists": {"field": "mentions.label"}}, settings, size=500)
    # Each (type, entity) counts once per page, however often the page mentions it.
    entities = Counter(pair for page in pages for pair in {(m["label"], m["text"]) for m in page.get("mentions", [])})
    if entities:
        found = Table("type", "entity", "pages", title=f"Named entities in {len(pages)} crawled pages (NER)")
        for (label, text), n in entities.most_common(10):
            found.add_row(label, text, str(n))
        console.print(found)
    console.print("\n[bold]Where to look[/]")
    console.print(f"  Elasticsearch: {settings.es_url}/{settings.namespace}-*/_search")
    console.print(f"  Kafka topics:  {', '.join(settings.topic(t) for t in ('raw', 'deadletter', 'alerts'))} "
                  f"on {settings.kafka_bootstrap}")
    console.print(f"  Analyst page:  http://{settings.api_host}:{settings.api_port}/ after `sekisho serve`; "
                  "log in with a key from `sekisho serve --create-key analyst`")
    console.print("  Queue / alerts: `sekisho targeting queue --port NRT`, `sekisho targeting alerts`")
    console.print("  Stop the stack: `sekisho stack down`")
