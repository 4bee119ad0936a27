"""``sekisho audit verify``: check the API audit trail's hash chain and its anchored head.

Every entry's hash is recomputed, every link to the previous entry checked, and the newest entry
compared with the head anchored outside the index (``<home>/audit/<namespace>-audit-head.json``). An
entry edited, deleted or added directly in Elasticsearch is reported; the exit code is 1 then.
"""

from __future__ import annotations

import json
from typing import Annotated

import typer

from schemas.documents import AuditEvent
from schemas.indexed import AUDIT_TYPE
from sekisho import es_io
from sekisho.settings import get_settings
from targeting.api.audit import read_anchor, verify_chain

app = typer.Typer(help="The API audit trail: verify its hash chain.", no_args_is_help=True)


@app.command("verify")
def verify_command(
    as_json: Annotated[bool, typer.Option("--json", help="print the result as one JSON object")] = False,
) -> None:
    """Detect audit entries edited, deleted or added outside the API (exit 1 when the chain is broken)."""
    settings = get_settings()
    if not es_io.is_healthy(settings):
        typer.echo(f"Elasticsearch is not reachable at {settings.es_url}; start it with `sekisho stack up`.", err=True)
        raise typer.Exit(2)
    events = [AuditEvent.model_validate(doc) for doc in es_io.scan(AUDIT_TYPE, None, settings)]
    anchor_file = settings.audit_anchor_file()
    result = verify_chain(events, read_anchor(anchor_file))
    if as_json:
        typer.echo(json.dumps({"entries": result.entries, "intact": result.intact, "problems": result.problems,
                               "anchor": str(anchor_file)}))
    elif result.intact:
        typer.echo(f"audit trail intact: {result.entries} entries, head anchored in {anchor_file}")
    else:
        typer.echo(f"audit trail BROKEN ({result.entries} entries stored):")
        for problem in result.problems:
            typer.echo(f"  - {problem}")
    if not result.intact:
        raise typer.Exit(1)
