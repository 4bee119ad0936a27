"""Sekisho's crawlers: a Scrapy project driven by YAML source definitions.

Sources are configuration (``crawlers/sources/*.yaml``), spiders are generic and thin, and every
component (safety, conditional requests, change detection, the Kafka sink) is a Scrapy middleware or
pipeline built with ``from_crawler``. Pages become ``schemas.records.CrawledPage`` records on the raw
topic, keyed by their deterministic id.
"""
