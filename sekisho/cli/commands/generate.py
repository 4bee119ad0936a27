"""``sekisho generate``: write realistic carrier and trader feeds (PAXLST, PNRGOV, FWB/FFM, XFWB, ENS, WCO).

The output directory gets one message per file, by format (``paxlst/``, ``pnrgov/``, ``cargo_imp/``,
``cargo_xml/``, ``ens/``, ``wco_dms/``), and ``manifest.json`` listing the files with their counts and the
planted suspicious patterns with the keys of the entities involved. The same seed and date give the
same bytes.
"""

from __future__ import annotations

import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from scenario import PROFILES, Message, build_world, message_count, spec_for, write_feeds

PROGRESS_FROM = 500  # show a progress bar when a run writes at least this many messages


def _day(value: str | None) -> date:
    if value is None:
        return datetime.now(UTC).date()
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise typer.BadParameter(f"expected YYYY-MM-DD, got {value!r}", param_hint="--date") from exc


def generate(
    out: Annotated[Path, typer.Option("--out", help="directory to write the feeds and manifest.json into")],
    profile: Annotated[str, typer.Option(help=f"preset sizes: {', '.join(PROFILES)}")] = "demo",
    travellers: Annotated[int | None, typer.Option(min=0, help="travellers (overrides the profile)")] = None,
    consignments: Annotated[int | None, typer.Option(min=0, help="air and sea consignments")] = None,
    declarations: Annotated[int | None, typer.Option(min=0, help="customs declarations")] = None,
    seed: Annotated[int, typer.Option(help="random seed: the same seed and date give the same files")] = 1,
    day: Annotated[str | None, typer.Option("--date", help="arrival day YYYY-MM-DD (default: today, UTC)")] = None,
    suspicious_rate: Annotated[float, typer.Option(min=0.0, max=0.5,
                                                   help="share of bookings/consignments made suspicious")] = 0.01,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="no progress bar or summary")] = False,
) -> None:
    """Generate a consistent world and write its feeds in the carriers' and traders' wire formats."""
    overrides = {name: value for name, value in (("travellers", travellers), ("consignments", consignments),
                                                 ("declarations", declarations)) if value is not None}
    try:
        spec = spec_for(profile, seed=seed, day=_day(day), suspicious_rate=suspicious_rate, **overrides)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--profile") from exc
    console = Console(stderr=True, quiet=quiet)
    started = time.perf_counter()
    with console.status("building the world"):
        world = build_world(spec)
    total = message_count(world)
    out.mkdir(parents=True, exist_ok=True)
    with Progress(TextColumn("[bold]writing feeds"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=console, disable=quiet or total < PROGRESS_FROM) as progress:
        task = progress.add_task("messages", total=total)

        def advance(_message: Message) -> None:
            progress.advance(task)

        result = write_feeds(world, out, advance)
    elapsed = time.perf_counter() - started
    formats = result["formats"]
    written = sum(values["messages"] for values in formats.values())
    console.print(f"wrote {written} messages to {out} in {elapsed:.1f} s ({written / max(elapsed, 1e-9):.0f}/s)")
    for name, values in formats.items():
        details = ", ".join(f"{key} {value}" for key, value in values.items() if key != "messages")
        console.print(f"  {name:<15} {values['messages']:>6} messages  {details}")
    console.print(f"  planted patterns: {len(result['planted'])} (see {out / 'manifest.json'})")


def register(app: typer.Typer) -> None:
    app.command("generate")(generate)
