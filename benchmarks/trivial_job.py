"""The baseline for the loopback-cluster benchmark, submitted with ``flink run --python`` like the ingest job:
Kafka source (the same raw topic, its own consumer group) → trivial Python map → keyBy/reduce → discard."""

from __future__ import annotations

from pyflink.common import Types
from pyflink.table import StreamTableEnvironment

from sekisho.settings import get_settings
from streams.jobs.ingest_job import build_environment, source_ddl


def main() -> None:
    settings = get_settings()
    env = build_environment(settings)
    t_env = StreamTableEnvironment.create(env)
    t_env.execute_sql(source_ddl(settings, bounded=True, group_id=settings.topic("trivial-job")))
    rows = t_env.to_data_stream(t_env.from_path("raw_messages"))
    counted = rows.map(lambda r: (len(r[0]) % 4, 1), output_type=Types.TUPLE([Types.INT(), Types.INT()]))
    reduced = counted.key_by(lambda t: t[0], key_type=Types.INT()).reduce(lambda a, b: (a[0], a[1] + b[1]))
    reduced.filter(lambda _t: False).print()
    env.execute(f"sekisho-trivial-{settings.namespace}")


if __name__ == "__main__":
    main()
