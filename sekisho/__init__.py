"""Sekisho: border intelligence and targeting on Kafka, Flink and Elasticsearch."""

__version__ = "0.1.0"
