"""The production manifests run the same job entry point with the same configuration keys as the
loopback cluster (``sekisho/stack_cluster.py``)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from sekisho import stack_cluster
from sekisho.settings import PROJECT_ROOT, Settings

PRODUCTION = PROJECT_ROOT / "infra" / "production"
JOB = "streams/jobs/ingest_job.py"


def _documents(path: Path) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if isinstance(doc, dict)]


def _flink_deployment() -> dict[str, Any]:
    return next(d for d in _documents(PRODUCTION / "k8s" / "flink-deployment.yaml") if d["kind"] == "FlinkDeployment")


def _k8s_env() -> dict[str, str]:
    container = _flink_deployment()["spec"]["podTemplate"]["spec"]["containers"][0]
    return {e["name"]: str(e["value"]) for e in container["env"]}


def _compose() -> dict[str, Any]:
    return _documents(PRODUCTION / "docker-compose.yml")[0]


def test_every_deployment_runs_the_job_file_of_this_repository() -> None:
    assert (PROJECT_ROOT / JOB).is_file()
    k8s_args = _flink_deployment()["spec"]["job"]["args"]
    assert k8s_args[k8s_args.index("-py") + 1].endswith(JOB)
    assert f"--python /opt/sekisho/{JOB}" in _compose()["services"]["jobmanager"]["command"]


def test_manifest_settings_are_settings_the_code_reads() -> None:
    fields = {f"SEKISHO_{name.upper()}" for name in Settings.model_fields}
    compose_env = {k: str(v) for k, v in _compose()["x-sekisho-env"].items()}
    for env in (_k8s_env(), compose_env):
        unknown = {key for key in env if key.startswith("SEKISHO_")} - fields
        assert not unknown, f"manifest names settings the code does not read: {unknown}"
        Settings.model_validate({k.removeprefix("SEKISHO_").lower(): v for k, v in env.items()})


def test_kubernetes_job_keeps_the_clusters_durability_and_parallelism() -> None:
    env = _k8s_env()
    spec = _flink_deployment()["spec"]
    assert env["SEKISHO_KAFKA_REPLICATION_FACTOR"] == "3"
    assert env["SEKISHO_KAFKA_MIN_INSYNC_REPLICAS"] == "2"
    assert int(env["SEKISHO_FLINK_PARALLELISM"]) == spec["job"]["parallelism"]
    assert spec["job"]["parallelism"] <= int(env["SEKISHO_FLINK_MAX_PARALLELISM"])
    kafka = next(d for d in _documents(PRODUCTION / "k8s" / "kafka-strimzi.yaml") if d["kind"] == "Kafka")
    assert kafka["spec"]["kafka"]["config"]["min.insync.replicas"] == 2
    loopback = stack_cluster.cluster_settings(Settings())
    assert (loopback.kafka_replication_factor, loopback.kafka_min_insync_replicas) == (3, 2)


def test_flink_configuration_keys_are_the_loopback_clusters(tmp_path: Path) -> None:
    loopback = stack_cluster.flink_configuration(Settings(home=tmp_path))
    production = _flink_deployment()["spec"]["flinkConfiguration"]
    shared = {"taskmanager.numberOfTaskSlots", "execution.checkpointing.dir", "execution.checkpointing.savepoint-dir",
              "execution.checkpointing.externalized-checkpoint-retention", "restart-strategy.type",
              "restart-strategy.fixed-delay.attempts", "restart-strategy.fixed-delay.delay", "heartbeat.interval",
              "heartbeat.timeout"}
    assert shared <= set(production) and shared <= set(loopback)
    for key in shared - {"execution.checkpointing.dir", "execution.checkpointing.savepoint-dir"}:
        assert str(production[key]) == str(loopback[key]), key
    compose_props = _compose()["services"]["jobmanager"]["environment"]["FLINK_PROPERTIES"]
    compose_keys = set(re.findall(r"([\w.-]+):", compose_props))
    assert {"restart-strategy.type", "heartbeat.timeout"} <= compose_keys


def test_targeting_workers_run_the_clis_worker_in_one_group_everywhere() -> None:
    """``sekisho targeting worker`` (``targeting.worker.run``, as in ``sekisho demo``), more than one instance."""
    k8s = next(d for d in _documents(PRODUCTION / "k8s" / "sekisho-api.yaml")
               if d["kind"] == "Deployment" and d["metadata"]["name"] == "sekisho-targeting")
    container = k8s["spec"]["template"]["spec"]["containers"][0]
    compose = _compose()["services"]["targeting"]
    assert container["command"] == ["sekisho", "targeting", "worker"] == compose["command"].split()
    assert k8s["spec"]["replicas"] >= 2 and compose["deploy"]["replicas"] >= 2
    env = {e["name"]: str(e["value"]) for e in container["env"]}
    assert (env["SEKISHO_KAFKA_REPLICATION_FACTOR"], env["SEKISHO_KAFKA_MIN_INSYNC_REPLICAS"]) == ("3", "2")
