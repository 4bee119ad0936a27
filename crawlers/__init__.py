"""Sekisho's crawlers: a Scrapy project driven by YAML source definitions.

Sources are configuration (``crawlers/sources/*.yaml``, each with its grade: reliability A-F and
credibility 1-6), spiders are generic and thin, and every component (safety, conditional requests,
change detection, the hand-off to the emitter) is a Scrapy middleware or pipeline built with
``from_crawler``. Pages become ``schemas.records.CrawledPage`` records on the raw topic, keyed by their
deterministic id; the emitter thread (``crawlers.emitter``) archives every fetched page as WARC
(``crawlers.warc_archive``) and stamps each record with its evidence pointer before sending it.
"""
