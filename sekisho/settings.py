"""The one settings entry point: every knob is an environment variable with the prefix ``SEKISHO_``.

``get_settings()`` is cached; tests that change the environment call ``get_settings.cache_clear()``.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
BUNDLED_DATA = PROJECT_ROOT / "data"  # sample feeds, watchlists and the planted scenario shipped in the repository
MAX_TOPIC_RETENTION_MS = 183 * 24 * 3600 * 1000  # six months: PNR data must not outlive its masking on a topic


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SEKISHO_", env_file=None, extra="ignore")

    # Where downloaded artifacts (jars), service data and logs live.
    home: Path = Field(default=PROJECT_ROOT / "var", description="state directory of the local stack")
    cache_dir: Path = Field(
        default=Path.home() / ".cache" / "sekisho", description="pinned artifacts (jars) are cached here"
    )
    # Prefix for every topic and index, so several environments (or test sessions) share one stack.
    namespace: str = "sekisho"

    kafka_bootstrap: str = "127.0.0.1:19092"
    kafka_controller_port: int = 19093
    kafka_heap: str = "512m"
    kafka_partitions: int = 2
    # Topics the platform creates: 1 on the single local broker; 3 and 2 on a cluster (loopback or production),
    # so one broker may fail without losing an acknowledged record or stopping writes.
    kafka_replication_factor: int = Field(default=1, ge=1)
    kafka_min_insync_replicas: int = Field(default=1, ge=1)
    # Every topic carries PNR data (raw pushes, dead letters, records, alerts): Kafka deletes segments
    # older than this, set when a topic is created and enforced again on existing topics. The PNR
    # depersonalisation period (six months) is the ceiling.
    kafka_retention_ms: int = Field(default=7 * 24 * 3600 * 1000, gt=0, le=MAX_TOPIC_RETENTION_MS,
                                    description="retention.ms of every topic (at most six months)")

    es_url: str = Field(default="http://127.0.0.1:9250",
                        description="one node's URL, or several nodes of one cluster separated by commas")
    es_heap: str = "1g"
    es_replicas: int = Field(default=0, ge=0, description="replicas of each new index: 0 on one node, 1 on a cluster")
    es_bulk_chunk: int = 1000
    es_retry_max_seconds: float = 600.0

    flink_parallelism: int = Field(default=1, ge=1)
    # Key groups: the ceiling of any later rescale, fixed for the life of the job's state (savepoints).
    flink_max_parallelism: int = Field(default=128, ge=1, le=32768)
    # Latency against CPU: the writer flushes a batch this long after its first record, or later if the
    # writer is still on the previous batch (or when it holds es_bulk_chunk records); each flush costs a
    # Great Expectations run (about 5-10 ms for a batch of flight legs, 25-45 ms for one of mixed feed
    # records: it grows with the expectations of the record types present, not with the batch size), so a
    # longer window spends less CPU on a light stream. A Python bundle closes after flink_bundle_ms; a
    # network buffer is sent after flink_buffer_timeout_ms even when not full (Flink's own default is 100 ms).
    flink_window_ms: int = Field(default=100, ge=1)
    flink_bundle_ms: int = Field(default=50, ge=1, description="python.fn-execution.bundle.time of the jobs")
    flink_buffer_timeout_ms: int = Field(default=20, ge=0, description="execution.buffer-timeout of the jobs")
    flink_checkpoint_ms: int = 5000
    flink_python_executable: str = Field(
        default="",
        description="python.executable of the jobs' Python workers; empty: the interpreter that builds the job "
                    "(the loopback cluster names its launcher of warm workers, streams/python_workers.py)",
    )
    flink_fault_once_file: Path | None = Field(
        default=None,
        description="recovery drill: while this file exists, the writer deletes it and fails its next batch once "
                    "(its flush, or its write when the file says 'write')",
    )

    # Ingestion HTTP endpoint and analyst API.
    api_host: str = "127.0.0.1"
    api_port: int = 8640
    api_keys_file: Path | None = Field(default=None, description="hashed API keys; default <home>/api_keys.json")
    api_max_inflight: int = Field(default=64, description="ingestion requests in flight before answering 429")
    api_max_inflight_per_key: int = Field(default=8, description="ingestion requests in flight per API key")
    api_body_timeout_s: float = Field(default=30.0, description="time to receive a whole request body (else 408)")
    # Purpose-bound access to PNR data (targeting/api/purpose.py): the legal bases a request may name,
    # and the roles that see PNR-derived data only under a purpose (others see it as before).
    api_purpose_legal_bases: list[str] = Field(
        default_factory=lambda: ["eu-pnr-art6-2a", "eu-pnr-art6-2b", "eu-pnr-art6-2c", "appi-art27-1-1"],
        description="legal bases a purpose may name (EU 2016/681 art. 6(2)(a)-(c), APPI art. 27(1)(i))",
    )
    api_purpose_required_roles: list[str] = Field(
        default_factory=lambda: ["analyst", "ct_unit", "enforcement"],
        description="roles that see PNR data only under a purpose (administrators answer access requests)",
    )
    reidentification_hours: float = Field(default=24.0, description="how long an approved re-identification holds")

    max_message_bytes: int = 8 * 1024 * 1024
    stream_parse_time_limit_s: float = Field(
        default=30.0, description="a message not parsed within this becomes a parse.timeout dead letter (0: no limit)"
    )
    stream_parse_isolate_bytes: int = Field(
        default=256 * 1024, description="messages from this size are parsed in a child process under the time limit"
    )
    data_dir: Path = Field(default=BUNDLED_DATA, description="bundled sample feeds and reference data")
    model_dir: Path = Field(default=PROJECT_ROOT / "var" / "models", description="trained models")
    ner_model_dir: Path | None = Field(
        default=None,
        description="NER model directory (default: model_dir/ner once trained, else the packed model that ships "
        "in enrichment/ner/data/model)",
    )
    ner_data_dir: Path = Field(
        default=PROJECT_ROOT.parent / "shared" / "data" / "ner", description="WikiANN/WNUT-17 training corpora"
    )
    ner_threads: int = Field(default=1, description="threads per process for NER inference (1 is fastest on busy CPUs)")

    # Customs identifiers and watchlist screening.
    phone_region: str = Field(default="US", description="region for phone numbers written without +country")
    watchlist_dir: Path = Field(default=PROJECT_ROOT / "data" / "watchlists", description="watchlist snapshot")
    # Where the list crawler stores fetched list files (default <home>/crawl/watchlists); screening uses the
    # latest crawled file of each list in place of the snapshot's file of the same name.
    crawled_watchlist_dir: Path | None = None
    screening_threshold: float = Field(
        default=0.71,
        description=(
            "score from which a watchlist hit is a match (chosen on the dev name pairs by benchmarks/screening.py;"
            " precision/recall trade-off: sekisho screen threshold)"
        ),
    )
    screening_max_hits: int = 5

    # Crawlers (crawlers/): identifying user agent, the bundled fixture site, and the safety switch that
    # lets a crawl reach an internal address (exact HOST:PORT entries; only the fixture site and tests).
    crawl_user_agent: str = "SekishoBot/0.1 (+https://sekisho.example/bot; customs open-source intelligence)"
    crawl_fixture_site_url: str = "http://127.0.0.1:8651"
    crawl_allowed_private_targets: list[str] = Field(default_factory=list)
    # Evidence copies: every fetched page archived as WARC, files rotated by size, kept for a maximum age.
    crawl_evidence: bool = Field(default=True, description="archive every fetched page as WARC")
    crawl_emitter_process: bool = Field(
        default=True, description="crawls to Kafka archive and send from a worker process, off the crawl's GIL"
    )
    crawl_evidence_dir: Path | None = Field(default=None, description="WARC files; default <home>/crawl/evidence")
    crawl_warc_max_bytes: int = Field(default=256 * 1024 * 1024, description="a WARC file is rotated past this size")
    crawl_evidence_max_age_days: float = Field(
        default=730.0, description="evidence retention: WARC files older than this are deleted"
    )

    # Targeting (targeting/): score weights, rules, the inspection queue, feedback labels and alerts.
    targeting_rules_dir: Path = Field(default=PROJECT_ROOT / "targeting" / "rules", description="analyst rules")
    targeting_weights: dict[str, float] = Field(
        default_factory=lambda: {"model": 0.6, "screening": 0.9, "graph": 0.8, "rules": 1.0},
        description="how much each part of the targeting score counts (noisy-OR of weight x part)",
    )
    targeting_random_share: float = Field(default=0.1, description="share of inspections drawn at random")
    targeting_xray_slots: int = 20
    targeting_min_score: dict[str, float] = Field(
        default_factory=lambda: {"exam": 0.5, "xray": 0.3},
        description="score a model pick needs per lane (exam, xray); below it a slot stays unused",
    )
    targeting_min_score_by_port: dict[str, dict[str, float]] = Field(
        default_factory=dict, description="per-port minimum scores over targeting_min_score: {PORT: {lane: score}}"
    )
    targeting_exam_slots: int = 5
    targeting_detection: dict[str, float] = Field(
        default_factory=lambda: {"exam": 0.95, "xray": 0.6}, description="chance an inspection finds what is there"
    )
    targeting_revenue_per_finding: float = Field(default=1000.0, description="revenue a finding is worth (USD)")
    targeting_duty_rate: float = Field(default=0.1, description="duty on undervalued customs value")
    feedback_dir: Path = Field(default=PROJECT_ROOT / "var" / "feedback", description="inspection result labels")
    alert_threshold: float = Field(default=0.7, description="targeting score from which an alert is raised")
    alert_realert_hours: float = Field(default=24.0, description="a key alerts again only after this window")
    # A targeting worker killed mid-transaction holds its targets' alerts back until the broker aborts the
    # transaction: this bounds how long the next owner of those targets waits.
    alert_transaction_timeout_ms: int = Field(default=10_000, ge=1000, description="alert desk transaction timeout")
    alert_subscriptions_file: Path = Field(default=PROJECT_ROOT / "var" / "alerts" / "subscriptions.json")
    alert_webhook_timeout_s: float = 5.0
    alert_webhook_allowed_targets: list[str] = Field(
        default_factory=list,
        description="internal HOST:PORT targets webhooks may reach (set by an administrator; none by default)",
    )
    alert_retry_attempts: int = 5
    rescreen_arrival_hours: float = Field(
        default=72.0, description="on a list change, re-screen travellers arriving within this many hours"
    )
    alert_retry_base_s: float = 0.5
    saved_search_interval_s: float = Field(
        default=60.0, description="`sekisho serve` runs the subscribed saved searches this often (0: never)"
    )

    @property
    def list_store_dir(self) -> Path:
        return self.crawled_watchlist_dir or self.home / "crawl" / "watchlists"

    def audit_anchor_file(self) -> Path:
        """Where the API audit chain's head is anchored, outside the audit index."""
        return self.home / "audit" / f"{self.namespace}-audit-head.json"

    def topic(self, name: str) -> str:
        return f"{self.namespace}.{name}"

    def index(self, name: str) -> str:
        return f"{self.namespace}-{name}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
