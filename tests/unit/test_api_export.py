"""Watchlist export for enforcement: CSV and FollowTheMoney lines, filters, paging, streaming and audit."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, timedelta

from fastapi.testclient import TestClient
from followthemoney import model

from sekisho.settings import get_settings
from targeting.alerts import MemorySubscriptions
from targeting.api import create_app
from targeting.api.ingest import MemoryRawSink
from targeting.api.keys import MemoryKeyStore, create_key
from targeting.api.memory_store import MemoryStore
from targeting.api.roles import Role
from targeting.api.views import WatchlistEntry

DAY = date(2026, 11, 25)


def store_with(count: int) -> MemoryStore:
    store = MemoryStore()
    for i in range(count):
        store.watchlist_entries.append(
            WatchlistEntry(
                id=f"e{i:05d}",
                list_name="OFAC SDN" if i % 2 else "sekisho-graph-risk",
                schema_name="Person" if i % 3 == 0 else "Company",
                name=f'NAME {i}, "QUOTED"',
                aliases=[f"ALIAS {i}"],
                countries=["HK"],
                birth_date="1979-03-14" if i % 3 == 0 else None,
                risk=None if i % 2 else round(i / count, 4),
                updated=DAY - timedelta(days=i % 10),
            )
        )
    return store


def client_for(store: MemoryStore) -> tuple[TestClient, dict[str, str]]:
    keys = MemoryKeyStore()
    client = TestClient(create_app(store, keys, MemoryRawSink(), MemorySubscriptions(), get_settings()))
    return client, {"Authorization": f"Bearer {create_key(keys, Role.ENFORCEMENT, 'desk')}"}


def test_csv_export_streams_every_entry_across_pages() -> None:
    store = store_with(1203)  # more than two internal pages of 500
    client, auth = client_for(store)
    response = client.get("/api/watchlist/export", params={"format": "csv"}, headers=auth)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert len(rows) == 1203
    assert [r["id"] for r in rows] == sorted(r["id"] for r in rows)
    assert rows[5]["name"] == 'NAME 5, "QUOTED"' and rows[5]["aliases"] == "ALIAS 5"
    assert store.audit_log[-1].action == "export.watchlist" and store.audit_log[-1].params["format"] == "csv"


def test_filters_by_list_risk_and_date() -> None:
    client, auth = client_for(store_with(100))
    params = {
        "format": "csv",
        "list": "sekisho-graph-risk",
        "min_risk": "0.5",
        "since": (DAY - timedelta(days=2)).isoformat(),
    }
    rows = list(
        csv.DictReader(io.StringIO(client.get("/api/watchlist/export", params=params, headers=auth).text))
    )
    assert rows
    for row in rows:
        assert row["list_name"] == "sekisho-graph-risk" and float(row["risk"]) >= 0.5
        assert date.fromisoformat(row["updated"]) >= DAY - timedelta(days=2)
    only_sdn = client.get("/api/watchlist/export", params={"list": "OFAC SDN"}, headers=auth).text
    assert len(only_sdn.strip().splitlines()) == 1 + 50


def test_ftm_export_is_valid_followthemoney() -> None:
    client, auth = client_for(store_with(30))
    response = client.get("/api/watchlist/export", params={"format": "ftm"}, headers=auth)
    assert response.headers["content-type"].startswith("application/x-ndjson")
    lines = response.text.strip().splitlines()
    assert len(lines) == 30
    for line in lines:
        data = json.loads(line)
        proxy = model.get_proxy(data)  # raises on an unknown schema or property
        assert proxy.id == data["id"] and (proxy.first("name") or "").startswith("NAME")
    person = json.loads(lines[0])
    assert person["schema"] == "Person" and person["properties"]["birthDate"] == ["1979-03-14"]
    assert person["properties"]["country"] == ["hk"]


def test_paging_with_cursor_covers_everything_once() -> None:
    client, auth = client_for(store_with(95))
    seen: list[str] = []
    after: str | None = None
    pages = 0
    while True:
        params = {"format": "ftm", "limit": "20", **({"after": after} if after else {})}
        response = client.get("/api/watchlist/export", params=params, headers=auth)
        seen.extend(json.loads(line)["id"] for line in response.text.splitlines())
        pages += 1
        after = response.headers.get("x-next-after")
        if after is None:
            break
    assert pages == 5 and len(seen) == 95 and len(set(seen)) == 95
