"""``sekisho ingest --report``: a table per file and the same counts as JSON (records by type, warnings
by code, dead letters by reason), here without Kafka (``--dry-run``)."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from typer.testing import CliRunner

from feeds import MessageContext, parse_message
from pipeline.parse_report import report_json, report_of
from sekisho.cli.commands.ingest import register

app = typer.Typer()


@app.callback()
def sekisho() -> None:
    """Stand-in for the top-level ``sekisho`` command."""


register(app)
FEEDS = Path(__file__).resolve().parents[2] / "data" / "feeds"


def test_ingest_report_per_file_and_as_json(tmp_path: Path) -> None:
    bad = tmp_path / "two_pnrs_one_bad.edi"
    clean = (FEEDS / "pnrgov" / "2_pnrs_basic.edi").read_bytes()
    second_rci = clean.index(b"RCI+", clean.index(b"SRC", clean.index(b"SRC") + 3))
    bad.write_bytes(clean[:second_rci] + clean[clean.index(b"'", second_rci) + 1 :].lstrip(b"\r\n"))
    out = tmp_path / "report.json"
    result = CliRunner().invoke(
        app, ["ingest", "--dry-run", "--report", str(out), str(bad), str(FEEDS / "pnrgov" / "pnrBadFormat.edi")]
    )
    assert result.exit_code == 0, result.output
    assert "parse report per file" in result.output and "pnrgov.no_record_locator" in result.output
    report = json.loads(out.read_text())
    first, second = report["files"]
    assert first["source"] == str(bad)
    assert first["records"] == {"booking": 1, "flight_leg": 2, "passenger": 2}
    assert first["dead_letters"] == {"pnrgov.no_record_locator": 1}
    assert first["dead_letter_details"][0].startswith("pnrgov.no_record_locator: PNR 2 of 2")
    assert second["warnings"] == {
        "edifact.count_mismatch": 1,
        "edifact.text_after_unz": 1,
        "edifact.unterminated_final_segment": 1,
    }
    assert report["total"]["records"]["booking"] == 2 and report["total"]["dead_letters"] == first["dead_letters"]


def test_a_message_level_warning_counts_once_per_message() -> None:
    payload = (FEEDS / "pnrgov" / "pnr1.edi").read_bytes().replace(b"UNT+135+", b"UNT+9999+")
    records = parse_message(payload, MessageContext(source="x"))
    assert len(records) > 1
    summary = report_json([report_of("x", records)])
    assert summary["total"]["warnings"] == {"edifact.count_mismatch": 1}


def test_counts_per_source_through_the_api() -> None:
    from fastapi.testclient import TestClient

    from sekisho.settings import get_settings
    from targeting.alerts import MemorySubscriptions
    from targeting.api import create_app
    from targeting.api.ingest import MemoryRawSink
    from targeting.api.keys import MemoryKeyStore, create_key
    from targeting.api.memory_store import MemoryStore
    from targeting.api.roles import Role

    store, keys = MemoryStore(), MemoryKeyStore()
    clean = (FEEDS / "pnrgov" / "2_pnrs_basic.edi").read_bytes()
    second_rci = clean.index(b"RCI+", clean.index(b"SRC", clean.index(b"SRC") + 3))
    damaged = clean[:second_rci] + clean[clean.index(b"'", second_rci) + 1 :].lstrip(b"\r\n")
    store.add_records(parse_message(damaged, MessageContext(source="carrier-dl")))
    apis = (FEEDS / "paxlst" / "apis_message.edi").read_bytes()
    store.add_records(parse_message(apis, MessageContext(source="apis")))
    client = TestClient(create_app(store, keys, MemoryRawSink(), MemorySubscriptions(), get_settings()))
    headers = {"Authorization": f"Bearer {create_key(keys, Role.ANALYST, 'analyst')}"}
    response = client.get("/api/sources/report", headers=headers)
    assert response.status_code == 200, response.text
    reports = {r["source"]: r for r in response.json()}
    assert reports["carrier-dl"]["records"] == {"booking": 1, "flight_leg": 2, "passenger": 2}
    assert reports["carrier-dl"]["dead_letters"] == {"pnrgov.no_record_locator": 1}
    assert reports["carrier-dl"]["warnings"] == {"edifact.count_mismatch": 1}  # one message carries it
    assert reports["apis"]["warnings"] == {} and reports["apis"]["dead_letters"] == {}
    assert client.get("/api/sources/report", headers={"Authorization": "Bearer nope"}).status_code == 401
