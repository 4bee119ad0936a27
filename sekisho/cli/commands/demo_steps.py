"""The steps of `sekisho demo`, each a plain function over the settings (so tests can run them too)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

from rich.console import Console
from rich.table import Table

from sekisho.settings import Settings


def generate_feeds(settings: Settings, seed: int = 7) -> Path:
    """Write the demo profile of the generator (planted scenario included) under ``<home>/demo/feeds``."""
    from scenario import generate, spec_for

    out = settings.home / "demo" / "feeds"
    generate(spec_for("demo", seed=seed, day=datetime.now(UTC).date()), out)
    return out


def prepare_models(settings: Settings, console: Console) -> None:
    """Train the risk model on generated declarations when none is installed (about a minute);
    the NER stage runs a locally trained model when there is one, else the packed model that ships."""
    from enrichment.risk import columns as col
    from enrichment.risk.generator import generate_declarations
    from enrichment.risk.model import TrainConfig
    from enrichment.risk.store import train_and_save
    from enrichment.stages import ner_model_path, risk_model_path

    risk_dir = risk_model_path(settings)
    if risk_dir.exists():
        console.print(f"  risk model: {risk_dir}")
    else:
        frame = generate_declarations(20_000, seed=11)
        csv = settings.home / "demo" / "declarations.csv"
        csv.parent.mkdir(parents=True, exist_ok=True)
        frame.to_csv(csv, index=False)
        train_and_save(col.load_declarations(csv, with_labels=True), risk_dir, TrainConfig(seed=0, threads=2))
        console.print(f"  risk model trained on 20,000 generated declarations: {risk_dir}")
    console.print(f"  NER model: {ner_model_path(settings)}")


def ingest_paths(paths: list[Path], settings: Settings) -> int:
    from sekisho import kafka_io
    from sekisho.cli.feed_files import message_files, raw_messages

    kafka_io.ensure_topics(settings)
    return kafka_io.produce_raw(raw_messages(message_files(paths)), settings=settings)


def crawl_fixture_site(settings: Settings, console: Console) -> int:
    """Serve the bundled fixture site on loopback and crawl its sources into the raw topic."""
    from crawlers.fixture_site import FixtureServer
    from crawlers.runner import run_crawl
    from crawlers.sources import load_sources

    fixture = urlsplit(settings.crawl_fixture_site_url)
    sources = [s for s in load_sources(settings.crawl_fixture_site_url).values()
               if any(urlsplit(u).netloc == fixture.netloc for u in s.entry_urls())]
    fixture_target = f"{fixture.hostname}:{fixture.port or 8651}"  # the fixture site's port only
    allowed = settings.model_copy(update={"crawl_allowed_private_targets": [fixture_target]})
    emitted = 0
    table = Table("source", "kind", "pages emitted", "seconds", title="crawl")
    with FixtureServer.bundled(port=fixture.port or 8651, data_dir=settings.data_dir):
        for source in sources:
            report = run_crawl(source, allowed, sink="kafka", frontier="elasticsearch")
            summary = report.summary()
            emitted += int(summary.get("emitted", 0))
            table.add_row(source.name, source.kind, str(summary.get("emitted", 0)), f"{report.elapsed_s:.1f}")
    console.print(table)
    return emitted


def run_targeting_worker(settings: Settings, idle_s: float = 8.0, max_s: float = 240.0) -> int:
    """Run the targeting worker over the records topic until it has been idle for ``idle_s``:
    it links records into the graph, scores targets and raises alerts. Returns records handled."""
    import threading
    import time

    from targeting import worker

    handled = 0
    last = time.monotonic()
    stop = threading.Event()

    def on_batch(result: worker.BatchResult) -> None:
        nonlocal handled, last
        handled += len(result.scores) + len(result.rejected)
        last = time.monotonic()

    thread = threading.Thread(target=worker.run, kwargs={"settings": settings, "from_beginning": True,
                                                         "stop": stop, "on_batch": on_batch}, daemon=True)
    started = time.monotonic()
    thread.start()
    while thread.is_alive() and time.monotonic() - last < idle_s + (20 if handled == 0 else 0):
        if time.monotonic() - started > max_s:
            break
        time.sleep(0.5)
    stop.set()
    thread.join(timeout=30)
    return handled


def build_graph_and_queue(settings: Settings, console: Console, port: str = "NRT") -> None:
    """Link everything indexed into the graph, propagate risk, raise alerts, print the day's queue."""
    from graph.store import link_indexed
    from schemas.indexed import ALERT_TYPE, INSPECTION_TYPE
    from sekisho import es_io
    from sekisho.cli.commands.targeting import print_alerts, print_queue
    from targeting.sources import queue_for

    es_io.ensure_types([ALERT_TYPE, INSPECTION_TYPE], settings)
    # The worker links and scores incrementally (as in production) and raises the alerts; the batch
    # pass afterwards propagates risk over the whole graph, so the queue's explanations are complete.
    scored = run_targeting_worker(settings)
    console.print(f"  targeting worker: {scored} targets scored from {settings.topic('records')}")
    linked, changed = link_indexed(settings)
    console.print(f"  graph: {linked} records linked, risk propagated to {changed} nodes")
    queue = queue_for(port, datetime.now(UTC).date(), settings=settings)
    print_queue(queue, limit=8)
    print_alerts(hours=1, limit=5, settings=settings)
