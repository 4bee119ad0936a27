"""Kibana saved objects: in line with the generated mappings, self-contained per file, and up to date."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

import graph.store  # noqa: F401 - registers the graph indices
import targeting.api.es_store  # noqa: F401 - registers the API's indices (audit, inspections, alerts)
from schemas.generate import es_mapping
from schemas.indexed import INDEXED_TYPES
from sekisho import es_io
from sekisho.settings import Settings
from targeting.api import kibana

KIBANA_DIR = Path(__file__).resolve().parents[2] / "infra" / "kibana"
SETTINGS = Settings(namespace="sekisho")
KQL_FIELD = re.compile(r"([A-Za-z_][\w.]*)\s*(?::|>=|<=|>|<)")
AGGREGATABLE = {"keyword", "long", "integer", "double", "float", "date", "boolean"}


def flatten(properties: dict[str, Any], prefix: str = "") -> dict[str, str]:
    """Dotted field path -> ES type, with ``.keyword`` sub-fields of text fields."""
    found: dict[str, str] = {}
    for name, spec in properties.items():
        path = f"{prefix}{name}"
        if "properties" in spec:
            found.update(flatten(spec["properties"], f"{path}."))
            continue
        found[path] = spec.get("type", "object")
        for sub, sub_spec in spec.get("fields", {}).items():
            found[f"{path}.{sub}"] = sub_spec["type"]
    return found


def fields_of_title(title: str) -> dict[str, str]:
    """The fields of a data view title (one alias or a comma list of them), from the generated mappings."""
    by_alias = {es_io.alias_name(name, SETTINGS): cls for name, cls in INDEXED_TYPES.items()}
    fields: dict[str, str] = {}
    for alias in title.split(","):
        assert alias in by_alias, f"data view {alias!r} names no generated index"
        fields.update(flatten(es_mapping(by_alias[alias])["properties"]))
    return fields


def load(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


FILES = sorted(KIBANA_DIR.glob("*.ndjson"))


def test_committed_files_are_the_generated_ones() -> None:
    expected = {f"{b.name}.ndjson": b.ndjson() for b in kibana.bundles(Settings(namespace="sekisho"))}
    assert {p.name: p.read_text() for p in FILES} == expected, (
        "run: python -m targeting.api.kibana infra/kibana"
    )


def test_dashboards_cover_arrivals_alerts_seizures_and_a_graph_workspace() -> None:
    objects = [obj for path in FILES for obj in load(path)]
    titles = {obj["attributes"]["title"] for obj in objects if obj["type"] == "dashboard"}
    assert titles == {"Sekisho: arrivals risk", "Sekisho: alerts", "Sekisho: seizures"}
    assert any(obj["type"] == "graph-workspace" for obj in objects)


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_every_referenced_field_exists_in_the_generated_mapping(path: Path) -> None:
    objects = load(path)
    views = {obj["id"]: obj for obj in objects if obj["type"] == "index-pattern"}
    ids = {obj["id"] for obj in objects}
    checked = 0
    for obj in objects:
        for ref in obj.get("references", []):
            assert ref["id"] in ids, f"{obj['id']} refers to {ref['id']}, not in {path.name}"
        attributes = obj["attributes"]
        if obj["type"] == "index-pattern":
            fields = fields_of_title(attributes["title"])
            if "timeFieldName" in attributes:
                assert fields.get(attributes["timeFieldName"]) == "date"
            continue
        refs = [r for r in obj["references"] if r["type"] == "index-pattern"]
        if not refs:
            continue
        fields = fields_of_title(views[refs[0]["id"]]["attributes"]["title"])
        used: list[tuple[str, bool]] = []  # (field, must be aggregatable)
        source = json.loads(attributes.get("kibanaSavedObjectMeta", {}).get("searchSourceJSON", "{}"))
        used += [(f, False) for f in KQL_FIELD.findall(source.get("query", {}).get("query", ""))]
        used += [(c, False) for c in attributes.get("columns", [])]
        used += [(s[0], True) for s in attributes.get("sort", [])]
        if "visState" in attributes:
            for agg in json.loads(attributes["visState"])["aggs"]:
                if "field" in agg["params"]:
                    used.append((agg["params"]["field"], True))
        if "wsState" in attributes:
            used += [(f["name"], True) for f in json.loads(attributes["wsState"])["selectedFields"]]
        for name, aggregated in used:
            assert name in fields, (
                f"{path.name}: {obj['id']} uses {name!r}, absent from the generated mapping"
            )
            if aggregated:
                assert fields[name] in AGGREGATABLE, f"{obj['id']} aggregates on {name!r} ({fields[name]})"
            checked += 1
    assert checked > 0 or path.name == "data-views.ndjson"
