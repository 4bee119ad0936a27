"""Sekisho's crawlers: a Scrapy project driven by YAML source definitions.

Sources are configuration (``crawlers/sources/*.yaml``, each with its grade: reliability A-F and
credibility 1-6), the spider is generic and thin, and every component (safety, budget, conditional
requests) is a Scrapy middleware built with ``from_crawler``. The spider yields requests only: each fetched
page goes to the crawl's emitter (``crawlers.emitter``), whose record stage extracts the
``schemas.records.CrawledPage``, detects changes, archives the page as WARC (``crawlers.warc_archive``),
stamps the record with its evidence pointer and sends it to the raw topic keyed by its deterministic id;
for crawls to Kafka that stage runs in a worker process (``crawlers.emitter_process``).
"""
