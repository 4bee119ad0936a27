"""`sekisho stack up | status | down | lock`: the local Kafka broker and Elasticsearch node, or with
``--cluster`` the loopback cluster (3 Kafka brokers, 3 Elasticsearch nodes, a Flink session cluster)."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table

from sekisho import stack as local_stack
from sekisho import stack_cluster
from sekisho.settings import get_settings

app = typer.Typer(help="Start, inspect and stop the local stack (Kafka KRaft broker, Elasticsearch node).",
                  no_args_is_help=True)
console = Console()


CLUSTER = typer.Option(False, "--cluster", help="the loopback cluster instead of the single-node stack")


def _print_status(cluster: bool = False) -> bool:
    table = Table("service", "pid", "port", "healthy", "log")
    all_ok = True
    statuses = stack_cluster.status(get_settings()) if cluster else local_stack.status(get_settings())
    for st in statuses:
        all_ok &= st.healthy
        table.add_row(st.name, str(st.pid or "-"), str(st.port or "-"), "[green]yes[/]" if st.healthy else "[red]no[/]",
                      str(st.log))
    console.print(table)
    return all_ok


@app.command()
def up(timeout: float = typer.Option(180.0, help="seconds to wait for health"), cluster: bool = CLUSTER) -> None:
    """Fetch pinned artifacts (first time), start the services and wait until they are healthy."""
    say = lambda m: console.print(f"[cyan]stack[/] {m}")  # noqa: E731
    try:
        if cluster:
            stack_cluster.up(get_settings(), timeout_s=max(timeout, 300.0), on_progress=say)
        else:
            local_stack.up(get_settings(), timeout_s=timeout, on_progress=say)
    except local_stack.StackError as exc:
        console.print(f"[red]stack up failed:[/] {exc}")
        raise typer.Exit(1) from exc
    _print_status(cluster)


@app.command()
def status(cluster: bool = CLUSTER) -> None:
    """Show each service's pid, port, health and log file; exit 1 if one is unhealthy."""
    if not _print_status(cluster):
        raise typer.Exit(1)


@app.command()
def down(purge: bool = typer.Option(False, help="also delete the services' data"), cluster: bool = CLUSTER) -> None:
    """Stop the services (and with --purge, delete their data). ``--cluster`` stops only the loopback cluster."""
    settings = get_settings()
    stopped = stack_cluster.down(settings, purge=purge) if cluster else local_stack.down(settings, purge=purge)
    console.print(f"stopped: {', '.join(stopped) or 'nothing was running'}")


@app.command()
def fetch() -> None:
    """Download (first time) and verify the pinned jars of every component into the cache."""
    for component in local_stack.COMPONENTS:
        path = local_stack.fetch_artifacts(component, get_settings())
        console.print(f"{component}: {len(list(path.glob('*.jar')))} jars verified in {path}")


@app.command()
def lock() -> None:
    """Re-resolve the jars and rewrite infra/local/artifacts.lock (after changing a POM)."""
    data = local_stack.write_lock(get_settings())
    for component, jars in data.items():
        console.print(f"{component}: {len(jars)} jars")
