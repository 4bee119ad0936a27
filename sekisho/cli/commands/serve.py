"""`sekisho serve`: the HTTP API, the carriers' ingestion endpoint and the analyst page, in one process."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from sekisho.settings import Settings, get_settings

console = Console()


def keys_path(settings: Settings) -> Path:
    return settings.api_keys_file or settings.home / "api_keys.json"


def audit_key_change(settings: Settings, action: str, params: dict[str, str | None]) -> None:
    """Write a key created or revoked on the command line to the API audit trail (when it is reachable)."""
    from sekisho import es_io

    if not es_io.is_healthy(settings):
        console.print(f"[yellow]warning:[/] {action} not audited: Elasticsearch is not reachable at {settings.es_url}")
        return
    from targeting.api.audit import AuditTrail
    from targeting.api.es_store import EsStore

    AuditTrail(EsStore(settings), settings.audit_anchor_file()).record(None, action, "cli:sekisho serve", params, 1)


def register(app: typer.Typer) -> None:
    @app.command()
    def serve(
        host: str = typer.Option(None, "--host", help="interface to bind (default SEKISHO_API_HOST, 127.0.0.1)"),
        port: int = typer.Option(None, "--port", help="port (default SEKISHO_API_PORT, 8640)"),
        create_key: str = typer.Option(
            None,
            "--create-key",
            metavar="ROLE",
            help="create an API key for ROLE (analyst, ct_unit, enforcement, admin, carrier, approver); print it, exit",
        ),
        name: str = typer.Option("", "--name", help="who the new key is for (with --create-key)"),
        revoke_key: str = typer.Option(None, "--revoke-key", metavar="KEY_ID", help="revoke a key by its id, exit"),
        list_keys: bool = typer.Option(False, "--list-keys", help="list key ids, roles and names, exit"),
        summary: bool = typer.Option(
            True, "--summary/--no-summary", help="print the top of today's queues and the latest alerts first"
        ),
        sample: bool = typer.Option(
            False,
            "--sample",
            help="serve the bundled planted scenario from memory (no Kafka/Elasticsearch needed)",
        ),
    ) -> None:
        """Run the API and the analyst page (uvicorn), or create an API key with --create-key ROLE."""
        from targeting.api.keys import FileKeyStore, revoke
        from targeting.api.keys import create_key as make_key
        from targeting.api.roles import Role

        settings = get_settings()
        key_store = FileKeyStore(keys_path(settings))
        if list_keys:
            for stored in key_store.all():
                state = "revoked" if stored.revoked else "active"
                typer.echo(f"{stored.key_id}  {stored.role.value:<12} {state:<8} {stored.created_at}  {stored.name}")
            return
        if revoke_key is not None:
            if not revoke(key_store, revoke_key):
                console.print(f"[red]no key {revoke_key!r}[/] in {key_store.path}")
                raise typer.Exit(2)
            audit_key_change(settings, "key.revoke", {"key_id": revoke_key})
            typer.echo(f"revoked {revoke_key}")
            return
        if create_key is not None:
            try:
                role = Role(create_key)
            except ValueError as exc:
                choices = ", ".join(r.value for r in Role)
                console.print(f"[red]unknown role {create_key!r}[/]; one of: {choices}")
                raise typer.Exit(2) from exc
            plain = make_key(key_store, role, name or role.value)
            created = plain.split("_")[1]
            audit_key_change(settings, "key.create", {"new_key_id": created, "new_role": role.value,
                                                      "new_name": name or role.value})
            console.print(
                f"[green]{role.value}[/] key for {name or role.value!r} (shown once, stored hashed in "
                f"{key_store.path}):",
                highlight=False,
            )
            typer.echo(plain)
            return

        import uvicorn

        from targeting.alerts import FileSubscriptions
        from targeting.api import create_app
        from targeting.api.ingest import KafkaRawSink, MemoryRawSink, RawSink
        from targeting.api.store import Store

        store: Store
        sink: RawSink
        if sample:
            from targeting.api.sample_data import sample_store

            store, sink = sample_store(settings), MemoryRawSink()
            console.print("[yellow]sample mode:[/] planted scenario in memory; ingested messages are not kept")
        else:
            from sekisho import es_io
            from targeting.api.es_store import EsStore

            if not es_io.is_healthy(settings):
                console.print(
                    f"[red]Elasticsearch is not reachable at {settings.es_url}[/]: start the stack "
                    "(`sekisho stack up`) or try `sekisho serve --sample`"
                )
                raise typer.Exit(1)
            store, sink = EsStore(settings), KafkaRawSink(settings)
        if not key_store.all():
            console.print("[yellow]no API keys yet:[/] create one with `sekisho serve --create-key admin`")
        bind_host = host or settings.api_host
        bind_port = port or settings.api_port
        subscriptions = FileSubscriptions(settings.alert_subscriptions_file)
        anchor = None if sample else settings.audit_anchor_file()
        application = create_app(store, key_store, sink, subscriptions, settings, audit_anchor=anchor)
        if summary:
            from datetime import UTC, datetime

            from targeting.api.targets import day_summary
            from targeting.rules import RuleBook

            rules = RuleBook(settings.targeting_rules_dir).current()
            for line in day_summary(store, rules, settings, datetime.now(UTC).date()):
                typer.echo(line)
        if settings.saved_search_interval_s > 0:
            import threading

            from targeting.saved_searches import run_every

            # Subscribed saved searches alert on new records from here (`sekisho targeting run-searches` is
            # the same loop, for a deployment that runs it apart).
            threading.Thread(target=run_every, name="saved-searches", daemon=True, args=(
                store, subscriptions.list, settings, settings.saved_search_interval_s, threading.Event())).start()
        # Plain output, one line per URL: scripts and the demo read it.
        typer.echo(f"analyst page: http://{bind_host}:{bind_port}/")
        typer.echo(f"API schema:   http://{bind_host}:{bind_port}/openapi.json")
        uvicorn.run(application, host=bind_host, port=bind_port, log_level="warning")
