"""The loopback cluster: three Kafka brokers (KRaft), three Elasticsearch nodes and a Flink standalone
session cluster (a JobManager and two TaskManagers), each a separate process on this machine.

It is the production topology in miniature, so that failures of one process can be drilled: a broker,
a search node or a TaskManager can be killed with SIGKILL and started again while a job runs. Ports
and directories are its own (``<home>/cluster``), apart from the single-node stack of ``stack.py``,
which keeps running beside it. Heaps are small (Kafka 256 MB, Elasticsearch 384 MB per node, a Flink
TaskManager 1 GB of process memory) so that the whole cluster fits beside other work.

Flink comes from the distribution that the ``apache-flink`` package ships (``pyflink/bin``), Kafka and
Elasticsearch from the jars pinned in ``infra/local/artifacts.lock``. Jobs are submitted with
``flink run --python`` exactly as in production; their settings come from ``SEKISHO_*`` environment
variables (``job_environment``).
"""

from __future__ import annotations

import base64
import json
import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from urllib.error import URLError
from urllib.request import Request, urlopen

import yaml

from sekisho.settings import PROJECT_ROOT, Settings
from sekisho.stack import (
    INFRA,
    ServiceStatus,
    StackError,
    _java,
    _pid,
    _pid_file,
    _port_open,
    _spawn,
    es_runner_command,
    fetch_artifacts,
    log_file,
    stop_service,
)

HOST = "127.0.0.1"
KAFKA_PORTS = (29092, 29093, 29094)
KAFKA_CONTROLLER_PORTS = (29192, 29193, 29194)
ES_HTTP_PORTS = (9271, 9272, 9273)  # the cluster runner looks for HTTP ports below 9300 only
ES_TRANSPORT_PORTS = (9371, 9372, 9373)
FLINK_RPC_PORT = 16123
FLINK_REST_PORT = 18081
TASK_MANAGERS = 2
SLOTS_PER_TASK_MANAGER = 2
KAFKA_HEAP = "256m"
ES_HEAP = "384m"


def flink_home() -> Path:
    import pyflink

    return Path(pyflink.__file__).parent


def cluster_home(settings: Settings) -> Path:
    return settings.home / "cluster"


def cluster_settings(settings: Settings) -> Settings:
    """The given settings pointed at the loopback cluster (replicated topics, every search node, warm Python
    workers)."""
    return settings.model_copy(update={
        "kafka_bootstrap": ",".join(f"{HOST}:{port}" for port in KAFKA_PORTS),
        "kafka_replication_factor": 3,
        "kafka_min_insync_replicas": 2,
        "es_url": ",".join(f"http://{HOST}:{port}" for port in ES_HTTP_PORTS),
        "es_replicas": 1,
        "flink_python_executable": str(python_launcher(settings)),
    })


def job_environment(settings: Settings) -> dict[str, str]:
    """Environment of a ``flink run`` client: the ``SEKISHO_*`` keys a job reads, as in production."""
    s = settings
    keys = {
        "SEKISHO_NAMESPACE": s.namespace,
        "SEKISHO_HOME": str(s.home),
        "SEKISHO_CACHE_DIR": str(s.cache_dir),
        "SEKISHO_KAFKA_BOOTSTRAP": s.kafka_bootstrap,
        "SEKISHO_KAFKA_PARTITIONS": str(s.kafka_partitions),
        "SEKISHO_KAFKA_REPLICATION_FACTOR": str(s.kafka_replication_factor),
        "SEKISHO_KAFKA_MIN_INSYNC_REPLICAS": str(s.kafka_min_insync_replicas),
        "SEKISHO_ES_URL": s.es_url,
        "SEKISHO_ES_BULK_CHUNK": str(s.es_bulk_chunk),
        "SEKISHO_ES_REPLICAS": str(s.es_replicas),
        "SEKISHO_FLINK_PARALLELISM": str(s.flink_parallelism),
        "SEKISHO_FLINK_MAX_PARALLELISM": str(s.flink_max_parallelism),
        "SEKISHO_FLINK_CHECKPOINT_MS": str(s.flink_checkpoint_ms),
        "SEKISHO_FLINK_WINDOW_MS": str(s.flink_window_ms),
        "SEKISHO_FLINK_BUNDLE_MS": str(s.flink_bundle_ms),
        "SEKISHO_FLINK_BUFFER_TIMEOUT_MS": str(s.flink_buffer_timeout_ms),
        "SEKISHO_FLINK_PYTHON_EXECUTABLE": s.flink_python_executable,
    }
    return {**os.environ, "PYTHONPATH": str(PROJECT_ROOT), **keys}


# ---------------------------------------------------------------------------------------------
# Kafka: three combined broker+controller nodes sharing one cluster id


def _kafka_start(index: int, settings: Settings) -> None:
    libs = fetch_artifacts("kafka", settings)
    home = cluster_home(settings) / f"kafka-{index + 1}"
    data = home / "data"
    home.mkdir(parents=True, exist_ok=True)
    voters = ",".join(f"{n + 1}@{HOST}:{port}" for n, port in enumerate(KAFKA_CONTROLLER_PORTS))
    props = home / "server.properties"
    props.write_text((INFRA / "kafka" / "cluster.properties").read_text().format(
        node_id=index + 1, voters=voters, host=HOST, port=KAFKA_PORTS[index],
        controller_port=KAFKA_CONTROLLER_PORTS[index], data=data, partitions=settings.kafka_partitions))
    jvm = [_java(), f"-Xms{KAFKA_HEAP}", f"-Xmx{KAFKA_HEAP}", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
           f"-Dlog4j2.configurationFile={INFRA / 'kafka' / 'log4j2.properties'}",
           f"-Dkafka.logs.dir={home / 'logs'}", "-cp", f"{libs}/*"]
    if not (data / "meta.properties").exists():
        id_file = cluster_home(settings) / "kafka-cluster-id"
        if not id_file.exists():
            id_file.write_text(base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("="))
        fmt = subprocess.run([*jvm, "kafka.tools.StorageTool", "format", "-t", id_file.read_text().strip(),
                              "-c", str(props)], capture_output=True, text=True, check=False)
        if fmt.returncode != 0:
            raise StackError(f"formatting Kafka storage of broker {index + 1} failed: {fmt.stdout}{fmt.stderr}")
    _spawn(f"cluster-kafka-{index + 1}", [*jvm, "kafka.Kafka", str(props)], settings, home)


def _kafka_healthy(index: int, settings: Settings) -> bool:
    from sekisho.kafka_io import wait_until_reachable

    if not _port_open(HOST, KAFKA_PORTS[index]):
        return False
    one = settings.model_copy(update={"kafka_bootstrap": f"{HOST}:{KAFKA_PORTS[index]}"})
    return wait_until_reachable(one, timeout_s=3)


# ---------------------------------------------------------------------------------------------
# Elasticsearch: one cluster-runner JVM per node, joined through elasticsearch.yml


def _es_start(index: int, settings: Settings) -> None:
    libs = fetch_artifacts("elasticsearch", settings)
    base = cluster_home(settings) / f"es-{index + 1}"
    config = base / "node_1" / "config"
    config.mkdir(parents=True, exist_ok=True)
    # The runner names every node "Node 1" (one node per JVM), so the first master election names
    # the nodes by transport address. Settings the runner sets itself (name, HTTP port, paths) win.
    node_config = {
        "network.host": HOST,
        "transport.port": ES_TRANSPORT_PORTS[index],
        "discovery.seed_hosts": [f"{HOST}:{port}" for port in ES_TRANSPORT_PORTS],
        "cluster.initial_master_nodes": [f"{HOST}:{port}" for port in ES_TRANSPORT_PORTS],
        "cluster.routing.allocation.disk.threshold_enabled": False,
        "node.processors": 1,
    }
    (config / "elasticsearch.yml").write_text(yaml.safe_dump(node_config))
    cmd = es_runner_command(libs, heap=ES_HEAP, collector="-XX:+UseSerialGC", http_port=ES_HTTP_PORTS[index],
                            base_path=base, cluster_name="sekisho-loopback")
    _spawn(f"cluster-es-{index + 1}", cmd, settings, base)


def _json(url: str) -> object:
    with urlopen(url, timeout=3) as response:
        return json.loads(response.read())


def _es_healthy(index: int, settings: Settings) -> bool:
    try:
        health = _json(f"http://{HOST}:{ES_HTTP_PORTS[index]}/_cluster/health")
    except (URLError, OSError, ValueError):
        return False
    return isinstance(health, dict) and health.get("status") in ("green", "yellow")


# ---------------------------------------------------------------------------------------------
# Flink standalone session cluster from the apache-flink distribution


def flink_conf_dir(settings: Settings) -> Path:
    return cluster_home(settings) / "flink" / "conf"


def flink_configuration(settings: Settings) -> dict[str, object]:
    """The session cluster's Flink configuration (also what ``infra/production`` sets, key for key)."""
    state = cluster_home(settings) / "flink"
    shipped = yaml.safe_load((flink_home() / "conf" / "config.yaml").read_text())
    return {
        "env.java.opts.all": shipped["env"]["java"]["opts"]["all"],
        "jobmanager.rpc.address": HOST,
        "jobmanager.bind-host": HOST,
        "jobmanager.rpc.port": FLINK_RPC_PORT,
        "jobmanager.memory.process.size": "768m",
        "taskmanager.bind-host": HOST,
        "taskmanager.host": HOST,
        "taskmanager.numberOfTaskSlots": SLOTS_PER_TASK_MANAGER,
        "taskmanager.memory.process.size": "1280m",
        # Every submitted job loads the connector jars in a class loader of its own and not all of it is
        # freed when the job ends: at the default 256 MB a TaskManager died of metaspace after ~50 jobs
        # (a benchmark run submits 9, a drill run several). Production runs one job per cluster.
        "taskmanager.memory.jvm-metaspace.size": "512m",
        "taskmanager.memory.managed.fraction": 0.2,
        "rest.address": HOST,
        "rest.bind-address": HOST,
        "rest.port": FLINK_REST_PORT,
        "parallelism.default": 2,
        # Spread a job's subtasks over both TaskManagers, so that losing one is felt by every job.
        "taskmanager.load-balance.mode": "SLOTS",
        "execution.checkpointing.dir": (state / "checkpoints").as_uri(),
        "execution.checkpointing.savepoint-dir": (state / "savepoints").as_uri(),
        "execution.checkpointing.externalized-checkpoint-retention": "RETAIN_ON_CANCELLATION",
        "restart-strategy.type": "fixed-delay",
        "restart-strategy.fixed-delay.attempts": 30,
        "restart-strategy.fixed-delay.delay": "2 s",
        # A killed TaskManager is noticed within seconds, not after the default 50 s.
        "heartbeat.interval": 2000,
        "heartbeat.timeout": 12000,
        "python.executable": str(python_launcher(settings)),
        "python.client.executable": sys.executable,
    }


def _write_flink_conf(settings: Settings) -> Path:
    conf = flink_conf_dir(settings)
    conf.mkdir(parents=True, exist_ok=True)
    for shipped in (flink_home() / "conf").iterdir():
        if shipped.name != "config.yaml":
            shutil.copy(shipped, conf / shipped.name)
    (conf / "config.yaml").write_text(yaml.safe_dump(flink_configuration(settings)))
    return conf


def flink_environment(settings: Settings) -> dict[str, str]:
    state = cluster_home(settings) / "flink"
    _write_python_launcher(settings)
    return {**os.environ, "FLINK_HOME": str(flink_home()), "FLINK_CONF_DIR": str(_write_flink_conf(settings)),
            "FLINK_LOG_DIR": str(state / "log"), "FLINK_PID_DIR": str(state / "run"),
            "PYTHONPATH": str(PROJECT_ROOT)}


# ---------------------------------------------------------------------------------------------
# Warm Python workers: a pool that has imported the job code and forks each TaskManager's Python workers
# (streams/python_workers.py); python.executable names the launcher script written here.

PYTHON_WORKERS = PROJECT_ROOT / "streams" / "python_workers.py"


def python_worker_socket(settings: Settings) -> Path:
    return cluster_home(settings) / "flink" / "run" / "python-workers.sock"


def python_launcher(settings: Settings) -> Path:
    return cluster_home(settings) / "flink" / "python-worker"


def _write_python_launcher(settings: Settings) -> Path:
    """A script that runs the launcher with ``python -S`` (it needs only the standard library): it hands the
    worker to the pool, or starts a cold interpreter when the pool is not there."""
    launcher = python_launcher(settings)
    launcher.parent.mkdir(parents=True, exist_ok=True)
    command = shlex.join([sys.executable, "-S", str(PYTHON_WORKERS), "launch",
                          "--socket", str(python_worker_socket(settings)), "--"])
    launcher.write_text(f"#!/bin/sh\n# python.executable of the TaskManagers' Python workers\nexec {command} \"$@\"\n")
    launcher.chmod(0o755)
    return launcher


def _python_workers_start(settings: Settings) -> None:
    python_worker_socket(settings).parent.mkdir(parents=True, exist_ok=True)
    _spawn("cluster-python-workers",
           [sys.executable, "-m", "streams.python_workers", "serve", "--socket", str(python_worker_socket(settings))],
           settings, cluster_home(settings) / "flink", env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)})


def _python_workers_healthy(settings: Settings) -> bool:
    """The pool binds its socket only once it has imported everything: connecting is being ready."""
    if _pid("cluster-python-workers", settings) is None:
        return False
    with socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET) as sock:
        sock.settimeout(1.0)
        return sock.connect_ex(str(python_worker_socket(settings))) == 0


def _flink_start(script: str, name: str, settings: Settings) -> None:
    env = flink_environment(settings)
    _spawn(name, ["bash", str(flink_home() / "bin" / script), "start-foreground"], settings,
           cluster_home(settings) / "flink", env=env)


def flink_overview(settings: Settings) -> dict[str, object] | None:
    try:
        overview = _json(f"http://{HOST}:{FLINK_REST_PORT}/overview")
    except (URLError, OSError, ValueError):
        return None
    return overview if isinstance(overview, dict) else None


def _jobmanager_healthy(settings: Settings) -> bool:
    return flink_overview(settings) is not None


def _taskmanagers_registered(settings: Settings) -> int:
    overview = flink_overview(settings) or {}
    count = overview.get("taskmanagers", 0)
    return count if isinstance(count, int) else 0


# ---------------------------------------------------------------------------------------------
# The nodes, their status, start/stop and kill


@dataclass(frozen=True)
class ClusterNode:
    name: str
    port: int
    start: Callable[[Settings], None]
    healthy: Callable[[Settings], bool]


def _taskmanager_healthy(index: int, settings: Settings) -> bool:
    name = f"cluster-flink-taskmanager-{index + 1}"
    return _pid(name, settings) is not None and _taskmanagers_registered(settings) >= index + 1


def _taskmanager_start(index: int, settings: Settings) -> None:
    _flink_start("taskmanager.sh", f"cluster-flink-taskmanager-{index + 1}", settings)


def _jobmanager_start(settings: Settings) -> None:
    _flink_start("jobmanager.sh", "cluster-flink-jobmanager", settings)


def _nodes() -> list[ClusterNode]:
    nodes = [ClusterNode(f"cluster-kafka-{i + 1}", KAFKA_PORTS[i], partial(_kafka_start, i), partial(_kafka_healthy, i))
             for i in range(len(KAFKA_PORTS))]
    nodes += [ClusterNode(f"cluster-es-{i + 1}", ES_HTTP_PORTS[i], partial(_es_start, i), partial(_es_healthy, i))
              for i in range(len(ES_HTTP_PORTS))]
    nodes.append(ClusterNode("cluster-python-workers", 0, _python_workers_start, _python_workers_healthy))
    nodes.append(ClusterNode("cluster-flink-jobmanager", FLINK_REST_PORT, _jobmanager_start, _jobmanager_healthy))
    nodes += [ClusterNode(f"cluster-flink-taskmanager-{i + 1}", FLINK_REST_PORT, partial(_taskmanager_start, i),
                          partial(_taskmanager_healthy, i))
              for i in range(TASK_MANAGERS)]
    return nodes


NODE_NAMES = tuple(node.name for node in _nodes())


def _node(name: str) -> ClusterNode:
    for node in _nodes():
        if node.name == name:
            return node
    raise StackError(f"no cluster node named {name!r}; nodes: {', '.join(NODE_NAMES)}")


def status(settings: Settings) -> list[ServiceStatus]:
    return [ServiceStatus(node.name, _pid(node.name, settings), node.healthy(settings), node.port,
                          log_file(node.name, settings)) for node in _nodes()]


def _wait_healthy(node: ClusterNode, settings: Settings, deadline: float) -> None:
    while not node.healthy(settings):
        if _pid(node.name, settings) is None:
            tail = log_file(node.name, settings).read_text(errors="replace")[-3000:]
            raise StackError(f"{node.name} exited during start-up; log tail:\n{tail}")
        if time.monotonic() > deadline:
            raise StackError(f"{node.name} not healthy in time; see {log_file(node.name, settings)}")
        time.sleep(1.0)


def up(settings: Settings, *, timeout_s: float = 300.0,
       on_progress: Callable[[str], None] | None = None) -> list[ServiceStatus]:
    """Start every node that is not running (Kafka and Elasticsearch first) and wait until all are healthy."""
    say = on_progress or (lambda _msg: None)
    fetch_artifacts("flink", settings)
    cluster_home(settings).mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + timeout_s
    nodes = _nodes()
    storage = [n for n in nodes if not n.name.startswith("cluster-flink")]
    flink = [n for n in nodes if n.name.startswith("cluster-flink")]
    for group in (storage, flink[:1], flink[1:]):
        for node in group:
            if _pid(node.name, settings) is None:
                say(f"{node.name}: starting (log {log_file(node.name, settings)})")
                node.start(settings)
        for node in group:
            _wait_healthy(node, settings, deadline)
            where = f"port {node.port}" if node.port else str(python_worker_socket(settings))
            say(f"{node.name}: healthy on {where}")
    _wait_es_cluster(settings, deadline)
    return status(settings)


def _wait_es_cluster(settings: Settings, deadline: float) -> None:
    """All three search nodes in one cluster (not three clusters of one)."""
    while True:
        try:
            health = _json(f"http://{HOST}:{ES_HTTP_PORTS[0]}/_cluster/health")
            if isinstance(health, dict) and health.get("number_of_nodes") == len(ES_HTTP_PORTS):
                return
        except (URLError, OSError, ValueError):
            pass
        if time.monotonic() > deadline:
            raise StackError("the Elasticsearch nodes did not form one cluster of three in time")
        time.sleep(1.0)


def start_node(name: str, settings: Settings, timeout_s: float = 180.0) -> None:
    """Start one node again (after a kill) and wait until it is healthy."""
    node = _node(name)
    if _pid(name, settings) is None:
        node.start(settings)
    _wait_healthy(node, settings, time.monotonic() + timeout_s)


def kill_node(name: str, settings: Settings) -> int:
    """SIGKILL one node's process group, as a crash would; returns the pid that was killed."""
    _node(name)
    pid = _pid(name, settings)
    if pid is None:
        raise StackError(f"{name} is not running")
    os.killpg(pid, signal.SIGKILL)
    while _pid(name, settings) is not None:
        time.sleep(0.1)
    _pid_file(name, settings).unlink(missing_ok=True)
    return pid


def down(settings: Settings, *, purge: bool = False) -> list[str]:
    """Stop the cluster's nodes (Flink first), never the single-node stack; with ``purge``, delete their data."""
    stopped = [name for name in reversed(NODE_NAMES) if stop_service(name, settings)]
    if purge:
        shutil.rmtree(cluster_home(settings), ignore_errors=True)
    return stopped


# ---------------------------------------------------------------------------------------------
# Jobs


def flink_cli(settings: Settings, *args: str, timeout_s: float | None = None,
              env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``pyflink/bin/flink`` against the session cluster."""
    run_env = {**(env or job_environment(settings)), **flink_environment(settings)}
    cmd = ["bash", str(flink_home() / "bin" / "flink"), *args]
    return subprocess.run(cmd, capture_output=True, text=True, check=False, env=run_env, timeout=timeout_s,
                          cwd=PROJECT_ROOT)


def submit_python_job(settings: Settings, script: Path, *script_args: str, detached: bool = True,
                      savepoint: str | None = None, timeout_s: float = 600.0) -> str:
    """``flink run --python script`` as in production; returns the job id."""
    args = ["run", "-m", f"{HOST}:{FLINK_REST_PORT}", "-p", str(settings.flink_parallelism)]
    if detached:
        args.append("--detached")
    if savepoint:
        args += ["--fromSavepoint", savepoint]
    args += ["-pyclientexec", sys.executable, "-pyexec", settings.flink_python_executable or sys.executable,
             "--python", str(script), *script_args]
    result = flink_cli(settings, *args, timeout_s=timeout_s)
    for line in (result.stdout + result.stderr).splitlines():
        if "JobID" in line:
            return line.rsplit(" ", 1)[-1].strip()
    raise StackError(f"flink run failed ({result.returncode}):\n{result.stdout[-3000:]}{result.stderr[-3000:]}")


def rest_json(path: str) -> object:
    """One answer of the session cluster's REST API (``/jobs/<id>``, ``/overview``...)."""
    return _json(f"http://{HOST}:{FLINK_REST_PORT}{path}")


def job_status(job_id: str) -> str:
    try:
        job = rest_json(f"/jobs/{job_id}")
    except (URLError, OSError, ValueError):
        return "UNREACHABLE"
    return str(job.get("state", "UNKNOWN")) if isinstance(job, dict) else "UNKNOWN"


def stop_with_savepoint(settings: Settings, job_id: str, timeout_s: float = 300.0) -> str:
    """``flink stop``: a savepoint, then the job ends; returns the savepoint path."""
    result = flink_cli(settings, "stop", "-m", f"{HOST}:{FLINK_REST_PORT}", job_id, timeout_s=timeout_s)
    for line in (result.stdout + result.stderr).splitlines():
        if "Savepoint completed. Path:" in line:
            return line.split("Path:", 1)[1].strip()
    raise StackError(f"flink stop failed ({result.returncode}):\n{result.stdout[-3000:]}{result.stderr[-3000:]}")


def cancel_job(job_id: str) -> None:
    request = Request(f"http://{HOST}:{FLINK_REST_PORT}/jobs/{job_id}?mode=cancel", method="PATCH")
    with urlopen(request, timeout=10):
        pass
