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


def test_the_image_holds_every_package_the_project_installs() -> None:
    dockerfile = (PRODUCTION / "docker" / "Dockerfile").read_text()
    copied = set(re.findall(r"^COPY (\w+) /opt/sekisho/\1$", dockerfile, re.MULTILINE))
    pyproject = (PROJECT_ROOT / "pyproject.toml").read_text()
    include = re.search(r"\[tool\.setuptools\.packages\.find\]\s*include = \[([^\]]*)\]", pyproject)
    assert include is not None
    packages = {name.rstrip("*") for name in re.findall(r'"([\w*]+)"', include.group(1))}
    assert packages and packages <= copied, f"not in the image: {packages - copied}"


def test_taskmanagers_hand_their_python_workers_to_the_pool_of_their_pod() -> None:
    """python.executable is the launcher the image writes; it talks to the socket the pool container serves."""
    dockerfile = (PRODUCTION / "docker" / "Dockerfile").read_text()
    launcher = re.search(r"> (/\S+python-worker)", dockerfile)
    socket_path = re.search(r"--socket %s -- \"\$@\"\\n' \\\n\s+(\S+)", dockerfile)
    assert launcher is not None and socket_path is not None
    spec = _flink_deployment()["spec"]
    assert spec["flinkConfiguration"]["python.executable"] == launcher.group(1)
    assert _k8s_env()["SEKISHO_FLINK_PYTHON_EXECUTABLE"] == launcher.group(1)
    containers = {c["name"]: c for c in spec["taskManager"]["podTemplate"]["spec"]["containers"]}
    pool = containers["python-workers"]
    assert pool["command"][:4] == ["python", "-m", "streams.python_workers", "serve"]
    assert pool["command"][pool["command"].index("--socket") + 1] == socket_path.group(1)
    shared = Path(socket_path.group(1)).parent.as_posix()
    for container in (pool, containers["flink-main-container"]):
        assert {m["mountPath"] for m in container["volumeMounts"]} == {shared}
    # The loopback cluster does the same with its own paths.
    loopback = stack_cluster.cluster_settings(Settings())
    assert loopback.flink_python_executable == str(stack_cluster.python_launcher(Settings()))
