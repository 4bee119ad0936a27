"""Sekisho's HTTP interface: the analyst API, the ingestion endpoint and the analyst page.

``create_app`` wires a data ``Store``, a ``KeyStore`` and a ``RawSink`` into one FastAPI application;
``sekisho serve`` runs it with the Elasticsearch and Kafka backed implementations.
"""

from targeting.api.app import create_app

__all__ = ["create_app"]
