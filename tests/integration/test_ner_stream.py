"""NER runs in the stream job on real records and its mentions are stored with them in Elasticsearch."""

from __future__ import annotations

import pytest

from crawlers.sinks import canonical_json
from enrichment.stages import ner_model_path
from schemas.records import CrawledPage, make_id
from sekisho import es_io, kafka_io
from sekisho.settings import Settings
from streams.jobs import ingest_job

pytestmark = pytest.mark.integration

ARTICLE = (
    "Customs officers in Osaka seized machine tools bound for Pyongyang. The shipment was arranged by "
    "Korea Mining Development Trading Corporation, according to a statement by Japan Customs. "
    "Investigators are looking for Kim Chol Nam, who signed the invoices."
)


def test_stream_tags_crawled_articles_and_stores_the_mentions(stack: Settings) -> None:
    assert ner_model_path(stack).exists()  # a trained model, or the packed one that ships
    url = "https://news.example.org/2026/11/osaka-seizure"
    page = CrawledPage(id=make_id("crawled_page", url), url=url, canonical_url=url, source_name="news-fixture",
                       source_format="web", kind="article", title="Machine tools for Pyongyang seized in Osaka",
                       text=ARTICLE)
    message = kafka_io.RawMessage(payload=canonical_json(page), source="test:ner", format_hint="canonical-json",
                                  key=page.id)
    kafka_io.produce_raw([message], settings=stack)

    ingest_job.run(stack)
    es_io.refresh(stack)

    stored = es_io.get("crawled_page", page.id, stack)
    assert stored is not None
    found = {(m["field"], m["label"], m["text"]) for m in stored["mentions"]}
    assert ("text", "LOC", "Osaka") in found
    assert ("text", "ORG", "Korea Mining Development Trading Corporation") in found
    assert ("text", "PER", "Kim Chol Nam") in found
    assert ("title", "LOC", "Osaka") in found
    for mention in stored["mentions"]:
        source = ARTICLE if mention["field"] == "text" else page.title
        assert source is not None and source[mention["start"] : mention["end"]] == mention["text"]
    # Searchable by entity, as analysts use it.
    assert es_io.count("crawled_page", stack, {"match": {"mentions.text": "Korea Mining"}}) == 1
