"""Kibana saved objects (data views, saved searches, visualisations, dashboards, a graph workspace).

They are generated here from the index names of ``sekisho.es_io`` and checked against the mappings
generated from ``schemas`` (tests/unit/test_api_kibana.py), then written to ``infra/kibana/*.ndjson``,
which the production compose file imports into Kibana 7.10:

    python -m targeting.api.kibana infra/kibana
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sekisho import es_io
from sekisho.settings import Settings

KIBANA_VERSION = "7.10.2"
SavedObject = dict[str, Any]

# Data views: indexed type -> time field.
TIME_FIELDS: dict[str, str] = {
    "passenger": "received_at",
    "booking": "received_at",
    "flight_leg": "received_at",
    "party": "received_at",
    "consignment": "received_at",
    "declaration": "received_at",
    "crawled_page": "received_at",
    "rejection": "received_at",
    "graph_node": "",
    "graph_edge": "",
    "alert": "created_at",
    "inspection_result": "inspected_at",
    "api_audit": "at",
}
GRAPH_WORKSPACE_TYPES = ["passenger", "booking", "party", "consignment"]


def data_view_id(type_name: str) -> str:
    return f"sekisho-dv-{type_name.replace('_', '-')}"


def data_view(type_name: str, settings: Settings) -> SavedObject:
    attributes: dict[str, Any] = {"title": es_io.alias_name(type_name, settings)}
    if TIME_FIELDS[type_name]:
        attributes["timeFieldName"] = TIME_FIELDS[type_name]
    return {
        "type": "index-pattern",
        "id": data_view_id(type_name),
        "attributes": attributes,
        "references": [],
        "migrationVersion": {"index-pattern": "7.6.0"},
    }


def _search_source(query: str, with_index: bool = True) -> str:
    source: dict[str, Any] = {"query": {"query": query, "language": "kuery"}, "filter": []}
    if with_index:
        source["indexRefName"] = "kibanaSavedObjectMeta.searchSourceJSON.index"
    return json.dumps(source)


def _index_ref(type_name: str) -> list[dict[str, str]]:
    return [
        {
            "name": "kibanaSavedObjectMeta.searchSourceJSON.index",
            "type": "index-pattern",
            "id": data_view_id(type_name),
        }
    ]


def saved_search(obj_id: str, title: str, type_name: str, query: str, columns: list[str]) -> SavedObject:
    return {
        "type": "search",
        "id": obj_id,
        "references": _index_ref(type_name),
        "attributes": {
            "title": title,
            "description": "",
            "hits": 0,
            "columns": columns,
            "sort": [[TIME_FIELDS[type_name], "desc"]] if TIME_FIELDS[type_name] else [],
            "version": 1,
            "kibanaSavedObjectMeta": {"searchSourceJSON": _search_source(query)},
        },
        "migrationVersion": {"search": "7.9.3"},
    }


def _agg(agg_id: str, kind: str, schema: str, **params: Any) -> dict[str, Any]:
    return {"id": agg_id, "enabled": True, "type": kind, "schema": schema, "params": params}


def _terms(agg_id: str, field_name: str, schema: str = "bucket", size: int = 10) -> dict[str, Any]:
    return _agg(
        agg_id,
        "terms",
        schema,
        field=field_name,
        size=size,
        order="desc",
        orderBy="1",
        otherBucket=False,
        missingBucket=False,
    )


TABLE_PARAMS = {
    "perPage": 10,
    "showPartialRows": False,
    "showMetricsAtAllLevels": False,
    "sort": {"columnIndex": None, "direction": None},
    "showTotal": False,
    "totalFunc": "sum",
    "percentageCol": "",
}
PIE_PARAMS = {
    "type": "pie",
    "addTooltip": True,
    "addLegend": True,
    "legendPosition": "right",
    "isDonut": True,
    "labels": {"show": False, "values": True, "last_level": True, "truncate": 100},
}


def visualization(
    obj_id: str, title: str, type_name: str, vis_type: str, aggs: list[dict[str, Any]], query: str = ""
) -> SavedObject:
    params = TABLE_PARAMS if vis_type == "table" else PIE_PARAMS
    vis_state = {"title": title, "type": vis_type, "params": params, "aggs": aggs}
    return {
        "type": "visualization",
        "id": obj_id,
        "references": _index_ref(type_name),
        "attributes": {
            "title": title,
            "visState": json.dumps(vis_state),
            "uiStateJSON": "{}",
            "description": "",
            "version": 1,
            "kibanaSavedObjectMeta": {"searchSourceJSON": _search_source(query)},
        },
        "migrationVersion": {"visualization": "7.10.0"},
    }


def dashboard(obj_id: str, title: str, description: str, panels: list[SavedObject]) -> SavedObject:
    grid = []
    references = []
    for number, panel in enumerate(panels):
        width = 48 if panel["type"] == "search" else 24
        grid.append(
            {
                "version": KIBANA_VERSION,
                "gridData": {
                    "x": (number % 2) * 24 if width == 24 else 0,
                    "y": (number // 2) * 15,
                    "w": width,
                    "h": 15,
                    "i": str(number),
                },
                "panelIndex": str(number),
                "embeddableConfig": {},
                "panelRefName": f"panel_{number}",
            }
        )
        references.append({"name": f"panel_{number}", "type": panel["type"], "id": panel["id"]})
    return {
        "type": "dashboard",
        "id": obj_id,
        "references": references,
        "attributes": {
            "title": title,
            "description": description,
            "hits": 0,
            "panelsJSON": json.dumps(grid),
            "optionsJSON": json.dumps({"useMargins": True, "hidePanelTitles": False}),
            "version": 1,
            "timeRestore": False,
            "kibanaSavedObjectMeta": {"searchSourceJSON": _search_source("", with_index=False)},
        },
        "migrationVersion": {"dashboard": "7.9.3"},
    }


def graph_workspace(settings: Settings) -> tuple[SavedObject, SavedObject]:
    """A Kibana Graph workspace over records that share phones, e-mails, payers and parties."""
    title = ",".join(es_io.alias_name(t, settings) for t in GRAPH_WORKSPACE_TYPES)
    pattern: SavedObject = {
        "type": "index-pattern",
        "id": "sekisho-dv-graph-records",
        "references": [],
        "attributes": {"title": title, "timeFieldName": "received_at"},
        "migrationVersion": {"index-pattern": "7.6.0"},
    }
    fields = [
        "phones",
        "emails",
        "payer_name.keyword",
        "record_locator",
        "consignee_name.keyword",
        "shipper_name.keyword",
        "full_name.keyword",
        "name.keyword",
    ]
    colours = ["#e7664c", "#54b399", "#d36086", "#6092c0", "#9170b8", "#ca8eae", "#d6bf57", "#b9a888"]
    selected = [
        {"name": name, "hopSize": 5, "lastValidHopSize": 5, "color": colours[i], "iconClass": "fa-circle"}
        for i, name in enumerate(fields)
    ]
    ws_state = {
        "selectedFields": selected,
        "blocklist": [],
        "vertices": [],
        "links": [],
        "urlTemplates": [],
        "exploreControls": {
            "useSignificance": False,
            "sampleSize": 2000,
            "timeoutMillis": 5000,
            "maxValuesPerDoc": 1,
            "minDocCount": 1,
        },
        "indexPatternRefName": "indexPattern_0",
    }
    workspace: SavedObject = {
        "type": "graph-workspace",
        "id": "sekisho-graph-shared-contacts",
        "references": [{"name": "indexPattern_0", "type": "index-pattern", "id": pattern["id"]}],
        "attributes": {
            "title": "Sekisho: records sharing contacts, payers and parties",
            "description": "Start from a name or phone; records meet on shared values.",
            "numLinks": 0,
            "numVertices": 0,
            "version": 1,
            "wsState": json.dumps(ws_state),
        },
        "migrationVersion": {"graph-workspace": "7.0.0"},
    }
    return pattern, workspace


@dataclass
class Bundle:
    """One NDJSON file: the objects it needs come with it, so files import in any order."""

    name: str
    objects: list[SavedObject] = field(default_factory=list)

    def ndjson(self) -> str:
        return "".join(json.dumps(obj, sort_keys=True) + "\n" for obj in self.objects)


def bundles(settings: Settings) -> list[Bundle]:
    s = settings
    views = {name: data_view(name, s) for name in TIME_FIELDS}

    high_risk_pax = saved_search(
        "sekisho-search-high-risk-passengers",
        "High-risk arriving passengers",
        "passenger",
        "risk.score >= 0.5 or screening.score >= 0.8",
        [
            "full_name",
            "nationality",
            "embarkation",
            "debarkation",
            "record_locator",
            "risk.score",
            "screening.list_name",
        ],
    )
    risky_cargo = saved_search(
        "sekisho-search-risky-consignments",
        "Risky consignments",
        "consignment",
        "risk.score >= 0.5 or screening.score >= 0.8",
        [
            "transport_document",
            "consignee_name",
            "shipper_name",
            "origin",
            "port_of_arrival",
            "declared_value",
            "risk.score",
        ],
    )
    pax_by_port = visualization(
        "sekisho-vis-risky-passengers-by-port",
        "Risky passengers by arrival airport",
        "passenger",
        "table",
        [
            _agg("1", "count", "metric"),
            _terms("2", "debarkation", size=20),
            _agg("3", "max", "metric", field="risk.score"),
        ],
        "risk.score >= 0.5",
    )
    pax_by_nationality = visualization(
        "sekisho-vis-risky-passengers-by-nationality",
        "Risky passengers by nationality",
        "passenger",
        "pie",
        [_agg("1", "count", "metric"), _terms("2", "nationality", schema="segment")],
        "risk.score >= 0.5",
    )
    cargo_by_port = visualization(
        "sekisho-vis-risky-cargo-by-port",
        "Risky consignments by port and origin",
        "consignment",
        "table",
        [
            _agg("1", "count", "metric"),
            _terms("2", "port_of_arrival", size=20),
            _terms("3", "origin", size=10),
            _agg("4", "sum", "metric", field="declared_value"),
        ],
        "risk.score >= 0.5",
    )
    arrivals = dashboard(
        "sekisho-dashboard-arrivals-risk",
        "Sekisho: arrivals risk",
        "Passengers and consignments scoring high on the risk model or watchlist screening.",
        [pax_by_port, pax_by_nationality, cargo_by_port, high_risk_pax, risky_cargo],
    )

    alert_search = saved_search(
        "sekisho-search-alerts",
        "Alerts",
        "alert",
        "",
        ["severity", "title", "score", "port", "record_type", "reasons"],
    )
    alerts_by_severity = visualization(
        "sekisho-vis-alerts-by-severity",
        "Alerts by severity",
        "alert",
        "pie",
        [_agg("1", "count", "metric"), _terms("2", "severity", schema="segment")],
    )
    alerts_by_day = visualization(
        "sekisho-vis-alerts-per-day",
        "Alerts per day and port",
        "alert",
        "table",
        [
            _agg("1", "count", "metric"),
            _agg(
                "2",
                "date_histogram",
                "bucket",
                field="created_at",
                interval="d",
                min_doc_count=1,
                extended_bounds={},
            ),
            _terms("3", "port", size=10),
            _agg("4", "max", "metric", field="score"),
        ],
    )
    alerts = dashboard(
        "sekisho-dashboard-alerts",
        "Sekisho: alerts",
        "Alerts raised for counter-terrorism units, with their reasons.",
        [alerts_by_severity, alerts_by_day, alert_search],
    )

    seizure_search = saved_search(
        "sekisho-search-seizures",
        "Seizures and recovered revenue",
        "inspection_result",
        'outcome : "seizure" or outcome : "revenue_recovered"',
        ["outcome", "record_type", "port", "seized_goods", "revenue_recovered", "officer", "selection"],
    )
    outcomes = visualization(
        "sekisho-vis-inspection-outcomes",
        "Inspection outcomes by selection",
        "inspection_result",
        "table",
        [_agg("1", "count", "metric"), _terms("2", "selection"), _terms("3", "outcome")],
    )
    revenue = visualization(
        "sekisho-vis-revenue-by-port",
        "Recovered revenue by port",
        "inspection_result",
        "table",
        [_agg("1", "sum", "metric", field="revenue_recovered"), _terms("2", "port", size=20)],
    )
    seizures = dashboard(
        "sekisho-dashboard-seizures",
        "Sekisho: seizures",
        "What inspections found; random selections show the model's unbiased hit rate.",
        [outcomes, revenue, seizure_search],
    )

    pattern, workspace = graph_workspace(s)
    return [
        Bundle("data-views", list(views.values())),
        Bundle(
            "arrivals-risk",
            [
                views["passenger"],
                views["consignment"],
                high_risk_pax,
                risky_cargo,
                pax_by_port,
                pax_by_nationality,
                cargo_by_port,
                arrivals,
            ],
        ),
        Bundle("alerts", [views["alert"], alert_search, alerts_by_severity, alerts_by_day, alerts]),
        Bundle("seizures", [views["inspection_result"], seizure_search, outcomes, revenue, seizures]),
        Bundle("graph-workspace", [pattern, workspace]),
    ]


def write(directory: Path, settings: Settings) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for bundle in bundles(settings):
        path = directory / f"{bundle.name}.ndjson"
        path.write_text(bundle.ndjson(), encoding="utf-8")
        written.append(path)
    return written


if __name__ == "__main__":
    # The shipped saved objects are for the default namespace, whatever this shell's environment says.
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "infra/kibana")
    for written_path in write(target, Settings(namespace="sekisho")):
        print(written_path)
