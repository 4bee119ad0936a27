"""The stage chain as pure functions: one raw message → records (``process_message``) and one batch of
records → enriched, valid records and dead letters (``process_batch``).

Nothing here knows Kafka, Flink or Elasticsearch: the Flink job (``streams/jobs/ingest_job.py``) and the
unit tests call the same two functions.
"""
