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

    es_url: str = "http://127.0.0.1:9250"
    es_heap: str = "1g"
    es_bulk_chunk: int = 1000
    es_retry_max_seconds: float = 600.0

    flink_parallelism: int = 1
    flink_window_ms: int = 300
    flink_checkpoint_ms: int = 5000
    flink_fault_once_file: Path | None = Field(
        default=None,
        description="recovery drill: while this file exists, the writer deletes it and fails its next batch once",
    )

    # Ingestion HTTP endpoint and analyst API.
    api_host: str = "127.0.0.1"
    api_port: int = 8640
    api_keys_file: Path | None = Field(default=None, description="hashed API keys; default <home>/api_keys.json")
    api_max_inflight: int = Field(default=64, description="ingestion requests in flight before answering 429")

    max_message_bytes: int = 8 * 1024 * 1024
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
    ner_threads: int = Field(default=1, description="torch threads for NER inference (1 is fastest on busy CPUs)")

    # Customs identifiers and watchlist screening.
    phone_region: str = Field(default="US", description="region for phone numbers written without +country")
    watchlist_dir: Path = Field(default=PROJECT_ROOT / "data" / "watchlists", description="watchlist snapshot")
    screening_threshold: float = Field(
        default=0.71,
        description=(
            "score from which a watchlist hit is a match (chosen on the dev name pairs by benchmarks/screening.py;"
            " precision/recall trade-off: sekisho screen threshold)"
        ),
    )
    screening_max_hits: int = 5

    # Crawlers (crawlers/): identifying user agent, the bundled fixture site, and the safety switch that
    # lets a crawl reach private/loopback networks (CIDRs; only the local fixture site and tests need it).
    crawl_user_agent: str = "SekishoBot/0.1 (+https://sekisho.example/bot; customs open-source intelligence)"
    crawl_fixture_site_url: str = "http://127.0.0.1:8651"
    crawl_allowed_private_networks: list[str] = Field(default_factory=list)

    # Targeting (targeting/): score weights, rules, the inspection queue, feedback labels and alerts.
    targeting_rules_dir: Path = Field(default=PROJECT_ROOT / "targeting" / "rules", description="analyst rules")
    targeting_weights: dict[str, float] = Field(
        default_factory=lambda: {"model": 0.6, "screening": 0.9, "graph": 0.8, "rules": 1.0},
        description="how much each part of the targeting score counts (noisy-OR of weight x part)",
    )
    targeting_random_share: float = Field(default=0.1, description="share of inspections drawn at random")
    targeting_xray_slots: int = 20
    targeting_exam_slots: int = 5
    targeting_detection: dict[str, float] = Field(
        default_factory=lambda: {"exam": 0.95, "xray": 0.6}, description="chance an inspection finds what is there"
    )
    targeting_revenue_per_finding: float = Field(default=1000.0, description="revenue a finding is worth (USD)")
    targeting_duty_rate: float = Field(default=0.1, description="duty on undervalued customs value")
    feedback_dir: Path = Field(default=PROJECT_ROOT / "var" / "feedback", description="inspection result labels")
    alert_threshold: float = Field(default=0.7, description="targeting score from which an alert is raised")
    alert_realert_hours: float = Field(default=24.0, description="a key alerts again only after this window")
    alert_subscriptions_file: Path = Field(default=PROJECT_ROOT / "var" / "alerts" / "subscriptions.json")
    alert_webhook_timeout_s: float = 5.0
    alert_retry_attempts: int = 5
    alert_retry_base_s: float = 0.5

    def topic(self, name: str) -> str:
        return f"{self.namespace}.{name}"

    def index(self, name: str) -> str:
        return f"{self.namespace}-{name}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
