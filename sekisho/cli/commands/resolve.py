"""`sekisho resolve`: entity resolution from the command line.

``sekisho resolve --rebuild`` recomputes every record's canonical entity from the indexed records and
the analysts' judgements; ``sekisho resolve evaluate`` measures the rules on a generated world with
known truth; ``sekisho resolve show ID`` prints a record's entity, its members and why they merged.
"""

from __future__ import annotations

import time
from datetime import date

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from sekisho.settings import get_settings

app = typer.Typer(
    help="Entity resolution: one traveller, consignment, company or flight across feeds.",
    invoke_without_command=True,
)
console = Console()


@app.callback()
def main(
    ctx: typer.Context,
    rebuild: bool = typer.Option(False, "--rebuild", help="recompute every entity from the indexed records"),
) -> None:
    """Rebuild the entities from the index (``--rebuild``), or run a sub-command."""
    if ctx.invoked_subcommand is not None:
        return
    if not rebuild:
        console.print(ctx.get_help())
        raise typer.Exit(0)
    from resolution.store import rebuild as run_rebuild

    started = time.perf_counter()
    report = run_rebuild(get_settings())
    console.print(
        f"resolved {report.records} records: {report.entities} entities join {report.merged_records} records; "
        f"{report.judgements} judgements applied; {report.written} memberships written "
        f"in {time.perf_counter() - started:.1f} s"
    )
    for warning in report.warnings:
        console.print(f"[yellow]warning:[/] {escape(warning)}")


@app.command()
def evaluate(
    profile: str = typer.Option("dev", help="noise profile: dev (rules chosen on it), test (reported), clean"),
    seed: int = typer.Option(11, help="seed of the generated world and of the noise"),
    travellers: int = typer.Option(2000, help="travellers in the generated world"),
    consignments: int = typer.Option(600, help="consignments in the generated world"),
    declarations: int = typer.Option(400, help="customs declarations in the generated world"),
    examples: int = typer.Option(5, help="wrong merges and missed entities to print"),
) -> None:
    """Pairwise precision/recall, cluster purity and hard-negative merges on a noisy generated world."""
    from resolution.evaluation import evaluate as run_evaluation
    from scenario import build_world, spec_for
    from scenario.noisy_records import NOISE_PROFILES, labelled_records

    if profile not in NOISE_PROFILES:
        console.print(f"[red]unknown noise profile {profile!r}[/]; choose from {', '.join(NOISE_PROFILES)}")
        raise typer.Exit(2)
    spec = spec_for("demo", seed=seed, day=date(2026, 12, 7), travellers=travellers, consignments=consignments,
                    declarations=declarations)
    data = labelled_records(build_world(spec), NOISE_PROFILES[profile], seed)
    started = time.perf_counter()
    result = run_evaluation(data.records, data.truth, data.hard_negatives, examples=examples)
    elapsed = time.perf_counter() - started
    table = Table(title=f"entity resolution, noise profile {profile}, seed {seed}")
    for column in ("kind", "records", "entities (true)", "pairs predicted", "pairs true", "precision", "recall",
                   "purity"):
        table.add_column(column, justify="left" if column == "kind" else "right")
    for kind, scores in [*result.by_kind.items(), ("all", result.overall)]:
        table.add_row(kind, str(scores.records), f"{scores.entities} ({scores.true_entities})",
                      str(scores.predicted_pairs), str(scores.true_pairs), f"{scores.precision:.4f}",
                      f"{scores.recall:.4f}", f"{scores.purity:.4f}")
    console.print(table)
    console.print(f"hard negatives: {len(result.hard_negative_merges)} merged of {result.hard_negatives}")
    console.print(f"resolved {len(data.records)} records in {elapsed:.1f} s")
    for left, right, why in result.hard_negative_merges[:examples]:
        console.print(f"[red]hard negative merged:[/] {escape(left)} / {escape(right)} ({escape(why)})")
    for line in result.false_merges:
        console.print(f"[red]wrong merge:[/] {escape(line)}")
    for line in result.missed:
        console.print(f"[yellow]missed:[/] {escape(line)}")


@app.command()
def show(record_id: str = typer.Argument(..., help="a record id or canonical entity id")) -> None:
    """Print the entity a record belongs to, its member records and why they merged."""
    from resolution.store import EsResolutionStore

    store = EsResolutionStore(get_settings())
    found = store.memberships([record_id]).get(record_id)
    if found is None:
        console.print(f"[red]no resolved record {record_id}[/] (run `sekisho resolve --rebuild`?)")
        raise typer.Exit(1)
    console.print(f"{escape(found.label)} ({found.kind}) entity {found.entity_id}")
    for member in store.entity_members(found.entity_id):
        console.print(f"  {member.id} ({member.record_type})")
        for reason in member.reasons:
            console.print(f"      {escape(reason)}")
