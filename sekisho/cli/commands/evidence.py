"""``sekisho evidence``: the archived copies (WARC) of crawled pages, and their retention.

``show ID`` prints a copy (request and response headers, then the body as text) by its evidence id
(``<file>.warc.gz:<offset>``, as records and graph edges carry it) or by the id of a crawled-page record
(looked up in Elasticsearch). ``history URL`` lists every archived copy of a page; ``prune`` applies the
evidence retention (``SEKISHO_CRAWL_EVIDENCE_MAX_AGE_DAYS``).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from sekisho.settings import Settings, get_settings

app = typer.Typer(help="Evidence copies (WARC) of crawled pages: show, history, prune.", no_args_is_help=True)


def _evidence_id(identifier: str, settings: Settings) -> str:
    """An evidence id as given, or the evidence of the crawled-page record with this id."""
    from crawlers.warc_archive import WARC_SUFFIX

    if f"{WARC_SUFFIX}:" in identifier:
        return identifier
    from sekisho import es_io

    if not es_io.is_healthy(settings):
        typer.echo(
            f"{identifier!r} is not an evidence id and Elasticsearch ({settings.es_url}) is not reachable "
            "to look it up as a record id",
            err=True,
        )
        raise typer.Exit(1)
    document = es_io.get("crawled_page", identifier, settings)
    evidence = (document or {}).get("evidence")
    if not evidence:
        typer.echo(f"no crawled page {identifier!r} with an evidence copy", err=True)
        raise typer.Exit(1)
    return f"{evidence['warc_file']}:{evidence['offset']}"


@app.command("show")
def show(
    identifier: Annotated[str, typer.Argument(metavar="ID", help="evidence id or crawled-page record id")],
) -> None:
    """Print the archived copy: request, response headers and the body as text; the digest is checked."""
    from crawlers.evidence import render
    from crawlers.settings import evidence_dir
    from crawlers.warc_archive import EvidenceError, read_copy

    settings = get_settings()
    try:
        copy = read_copy(evidence_dir(settings), _evidence_id(identifier, settings))
    except EvidenceError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from exc
    typer.echo(render(copy))
    if not copy.digest_ok:
        raise typer.Exit(3)


@app.command("history")
def history_command(url: Annotated[str, typer.Argument(help="the page's URL")]) -> None:
    """Every archived copy of a page, oldest first (a changed page has one per version)."""
    from crawlers.canonical import canonical_url
    from crawlers.settings import evidence_dir
    from crawlers.warc_archive import history

    copies = history(evidence_dir(get_settings()), canonical_url(url))
    table = Table("fetched", "evidence id", "digest", title=f"archived copies of {url}")
    for evidence in copies:
        table.add_row(evidence.fetched_at.isoformat(timespec="seconds"), evidence.id, evidence.digest)
    Console().print(table)
    if not copies:
        raise typer.Exit(1)


@app.command("prune")
def prune_command(
    max_age_days: Annotated[
        float | None, typer.Option(help="delete WARC files older than this (default: the retention setting)")
    ] = None,
) -> None:
    """Evidence retention: delete WARC files (and their indices) older than the maximum age."""
    from crawlers.settings import evidence_dir
    from crawlers.warc_archive import prune

    settings = get_settings()
    days = settings.crawl_evidence_max_age_days if max_age_days is None else max_age_days
    directory = evidence_dir(settings)
    removed = prune(directory, timedelta(days=days)) if directory.exists() else []
    typer.echo(f"{len(removed)} WARC files older than {days:g} days removed from {directory}")
