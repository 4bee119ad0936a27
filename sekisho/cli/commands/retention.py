"""``sekisho retention``: apply the PNR data retention policy to the Elasticsearch indices.

PNR bookings and passengers, and every dead letter, are depersonalised six months after they were
received and deleted after five years, with what they gave rise to in the link graph and the alerts.
``--as-of`` is the clock (so a run can be replayed or tested); ``--dry-run`` only counts the records.
"""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from sekisho import es_io
from sekisho.settings import get_settings
from targeting import retention

app = typer.Typer(help="PNR data retention: depersonalise after 6 months, delete after 5 years.",
                  no_args_is_help=True)


@app.command("apply")
def apply_command(
    as_of: Annotated[str, typer.Option("--as-of", help="the clock: YYYY-MM-DD (midnight UTC) or ISO timestamp")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="count what would change, change nothing")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="print the counts as one JSON object")] = False,
) -> None:
    """Depersonalise PNR records older than 6 months and delete those older than 5 years (from received_at)."""
    try:
        clock = retention.parse_as_of(as_of)
    except ValueError as exc:
        raise typer.BadParameter(f"not a date or timestamp: {as_of!r}", param_hint="--as-of") from exc
    settings = get_settings()
    if not es_io.is_healthy(settings):
        typer.echo(f"Elasticsearch is not reachable at {settings.es_url}; start it with `sekisho stack up`.",
                   err=True)
        raise typer.Exit(1)
    counts = retention.apply(clock, dry_run=dry_run, settings=settings)
    if as_json:
        typer.echo(json.dumps({"as_of": clock.isoformat(), "dry_run": dry_run, **counts}, sort_keys=True))
        return
    policy = retention.DEFAULT_POLICY
    table = Table(title=f"PNR retention as of {clock:%Y-%m-%d %H:%M} UTC" + (" (dry run)" if dry_run else ""))
    table.add_column("record type")
    table.add_column("depersonalised" + (" (due)" if dry_run else ""), justify="right")
    table.add_column("deleted" + (" (due)" if dry_run else ""), justify="right")
    for record_type in retention.PNR_RECORD_TYPES:
        table.add_row(record_type, str(counts[f"{record_type}.depersonalised"]), str(counts[f"{record_type}.deleted"]))
    if not dry_run:  # what the records gave rise to: graph documents and alerts
        for kind in ("graph_node", "graph_edge", "alert"):
            table.add_row(kind, str(counts.get(f"{kind}.masked", 0)), str(counts.get(f"{kind}.deleted", 0)))
    console = Console()
    console.print(table)
    console.print(f"received before {policy.depersonalise_before(clock):%Y-%m-%d}: depersonalised; "
                  f"before {policy.delete_before(clock):%Y-%m-%d}: deleted")
