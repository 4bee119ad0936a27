"""The local stack: a real Kafka broker (KRaft) and a real Elasticsearch node on loopback, no Docker.

Artifacts are resolved from Maven Central by the small POMs in ``infra/local/maven/<component>/``
(``mvn dependency:copy-dependencies``) into ``<cache_dir>/<component>/`` and every jar is checked
against ``infra/local/artifacts.lock`` (sha256). Services run as detached JVMs with pid files and
logs under ``<home>``; ``up`` is idempotent (a healthy service is left alone), so tests, the demo and
several terminals can share one stack. Flink needs no service: PyFlink jobs run on the local
mini-cluster with the connector jar from the same cache.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.error import URLError
from urllib.request import urlopen

from sekisho.settings import PROJECT_ROOT, Settings

INFRA = PROJECT_ROOT / "infra" / "local"
LOCK_FILE = INFRA / "artifacts.lock"
COMPONENTS = ("kafka", "elasticsearch", "flink")


class StackError(RuntimeError):
    pass


# ---------------------------------------------------------------------------------------------
# Artifacts


def artifact_dir(component: str, settings: Settings) -> Path:
    return settings.cache_dir / component


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _load_lock() -> dict[str, dict[str, str]]:
    if not LOCK_FILE.exists():
        return {}
    data: dict[str, dict[str, str]] = json.loads(LOCK_FILE.read_text())
    return data


def _resolve(component: str, target: Path) -> None:
    pom = INFRA / "maven" / component / "pom.xml"
    extra = ["-DexcludeTransitive=true"] if component == "flink" else []
    tmp = target.with_name(target.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    cmd = ["mvn", "-q", "-B", "-f", str(pom), "dependency:copy-dependencies",
           f"-DoutputDirectory={tmp}", "-DincludeScope=runtime", *extra]
    result = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        output = f"{result.stdout[-3000:]}{result.stderr[-2000:]}"
        raise StackError(f"resolving {component} from Maven Central failed:\n{output}")
    shutil.rmtree(target, ignore_errors=True)
    tmp.rename(target)


def fetch_artifacts(component: str, settings: Settings) -> Path:
    """Make sure the pinned jars of a component are in the cache and match the lock file."""
    target = artifact_dir(component, settings)
    expected = _load_lock().get(component)
    if not target.exists() or not any(target.glob("*.jar")):
        _resolve(component, target)
    if expected:
        present = {p.name: p for p in target.glob("*.jar")}
        if set(present) != set(expected) or any(_sha256(present[n]) != h for n, h in expected.items()):
            _resolve(component, target)  # one fresh resolution, then it must match
            present = {p.name: p for p in target.glob("*.jar")}
            bad = sorted(n for n, h in expected.items() if n not in present or _sha256(present[n]) != h)
            if bad or set(present) != set(expected):
                differing = bad or sorted(set(present) ^ set(expected))
                raise StackError(f"{component} jars do not match {LOCK_FILE.name}: {differing}")
    return target


def write_lock(settings: Settings) -> dict[str, dict[str, str]]:
    """Re-resolve every component and record the sha256 of each jar (run after changing a POM)."""
    lock: dict[str, dict[str, str]] = {}
    for component in COMPONENTS:
        target = artifact_dir(component, settings)
        _resolve(component, target)
        lock[component] = {p.name: _sha256(p) for p in sorted(target.glob("*.jar"))}
    LOCK_FILE.write_text(json.dumps(lock, indent=1, sort_keys=True) + "\n")
    return lock


def flink_connector_jars(settings: Settings) -> list[Path]:
    return sorted(fetch_artifacts("flink", settings).glob("*.jar"))


# ---------------------------------------------------------------------------------------------
# Services


@dataclass
class Service:
    name: str
    start: Callable[[Settings], None]
    healthy: Callable[[Settings], bool]
    port: Callable[[Settings], int]


def _run_dir(settings: Settings) -> Path:
    path = settings.home / "run"
    path.mkdir(parents=True, exist_ok=True)
    return path


def log_file(name: str, settings: Settings) -> Path:
    s = settings
    path = s.home / "logs"
    path.mkdir(parents=True, exist_ok=True)
    return path / f"{name}.log"


def _pid_file(name: str, settings: Settings) -> Path:
    return _run_dir(settings) / f"{name}.pid"


def _pid(name: str, settings: Settings) -> int | None:
    path = _pid_file(name, settings)
    if not path.exists():
        return None
    try:
        pid = int(path.read_text().strip())
        _reap(pid)
        os.kill(pid, 0)
    except (ValueError, ProcessLookupError, PermissionError):
        return None
    return pid


def _reap(pid: int) -> None:
    """Collect a node this process started and that has died: until then it is a zombie, which a signal
    probe still finds, so a killed node would read as running for good (seen in the cluster drills)."""
    with contextlib.suppress(OSError):  # not our child (ChildProcessError), or already collected
        os.waitpid(pid, os.WNOHANG)


def _java() -> str:
    home = os.environ.get("JAVA_HOME")
    return str(Path(home) / "bin" / "java") if home else "java"


def _spawn(name: str, cmd: list[str], settings: Settings, cwd: Path, env: dict[str, str] | None = None) -> None:
    log = log_file(name, settings).open("ab")
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=cwd,
                            start_new_session=True, env=env)
    _pid_file(name, settings).write_text(str(proc.pid))


def _port_open(host: str, port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def _kafka_host_port(settings: Settings) -> tuple[str, int]:
    host, _, port = settings.kafka_bootstrap.rpartition(":")
    return host or "127.0.0.1", int(port)


def _kafka_start(settings: Settings) -> None:
    libs = fetch_artifacts("kafka", settings)
    home = settings.home / "kafka"
    data = home / "data"
    home.mkdir(parents=True, exist_ok=True)
    host, port = _kafka_host_port(settings)
    cport = settings.kafka_controller_port
    props = home / "server.properties"
    template = (INFRA / "kafka" / "server.properties").read_text()
    props.write_text(template.format(host=host, port=port, controller_port=cport, data=data,
                                     partitions=settings.kafka_partitions))
    log4j = INFRA / "kafka" / "log4j2.properties"
    classpath = f"{libs}/*"
    jvm = [_java(), f"-Xms{settings.kafka_heap}", f"-Xmx{settings.kafka_heap}", "-XX:+UseG1GC",
           f"-Dlog4j2.configurationFile={log4j}", f"-Dkafka.logs.dir={home / 'logs'}", "-cp", classpath]
    if not (data / "meta.properties").exists():
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        fmt = subprocess.run([*jvm, "kafka.tools.StorageTool", "format", "-t", cluster_id, "-c", str(props)],
                             capture_output=True, text=True, check=False)
        if fmt.returncode != 0:
            raise StackError(f"formatting Kafka storage failed: {fmt.stdout}{fmt.stderr}")
    _spawn("kafka", [*jvm, "kafka.Kafka", str(props)], settings, home)


def _kafka_healthy(settings: Settings) -> bool:
    host, port = _kafka_host_port(settings)
    if not _port_open(host, port):
        return False
    from sekisho.kafka_io import wait_until_reachable

    return wait_until_reachable(settings, timeout_s=3)


def _es_http_port(settings: Settings) -> int:
    return int(settings.es_url.rstrip("/").rpartition(":")[2])


def es_runner_command(
    libs: Path, *, heap: str, collector: str, http_port: int, base_path: Path, cluster_name: str
) -> list[str]:
    """The command line of one Elasticsearch node run by the codelibs cluster runner (one node per JVM).

    The runner puts node N's HTTP port at base + N (N from 1), and searches ports up to 9299 only."""
    return [_java(), f"-Xms{heap}", f"-Xmx{heap}", collector,
            "-Des.distribution.flavor=default", "-Dlog4j2.formatMsgNoLookups=true",
            "-Des.networkaddress.cache.ttl=60", "-Djava.awt.headless=true", "-cp", f"{libs}/*",
            "org.codelibs.elasticsearch.runner.ElasticsearchClusterRunner", "-numOfNode", "1",
            "-baseHttpPort", str(http_port - 1), "-basePath", str(base_path), "-clusterName", cluster_name]


def _es_start(settings: Settings) -> None:
    libs = fetch_artifacts("elasticsearch", settings)
    home = settings.home / "elasticsearch"
    home.mkdir(parents=True, exist_ok=True)
    cmd = es_runner_command(libs, heap=settings.es_heap, collector="-XX:+UseG1GC", http_port=_es_http_port(settings),
                            base_path=home / "cluster", cluster_name="sekisho-local")
    _spawn("elasticsearch", cmd, settings, home)


def _es_healthy(settings: Settings) -> bool:
    try:
        with urlopen(settings.es_url.rstrip("/") + "/_cluster/health", timeout=2) as response:
            status = json.loads(response.read()).get("status")
    except (URLError, OSError, ValueError):
        return False
    return status in ("green", "yellow")


SERVICES = {
    "kafka": Service("kafka", _kafka_start, _kafka_healthy, lambda s: _kafka_host_port(s)[1]),
    "elasticsearch": Service("elasticsearch", _es_start, _es_healthy, _es_http_port),
}


@dataclass
class ServiceStatus:
    name: str
    pid: int | None
    healthy: bool
    port: int
    log: Path


def status(settings: Settings) -> list[ServiceStatus]:
    s = settings
    return [ServiceStatus(name, _pid(name, s), svc.healthy(s), svc.port(s), log_file(name, s))
            for name, svc in SERVICES.items()]


def up(settings: Settings, *, timeout_s: float = 180.0,
       on_progress: Callable[[str], None] | None = None, services: tuple[str, ...] = ("kafka", "elasticsearch")
       ) -> list[ServiceStatus]:
    """Start what is not running yet and wait until every service is healthy."""
    s = settings
    say = on_progress or (lambda _msg: None)
    fetch_artifacts("flink", s)
    for name in services:
        svc = SERVICES[name]
        if svc.healthy(s):
            say(f"{name}: already healthy on port {svc.port(s)}")
            continue
        if _pid(name, s) is None:
            say(f"{name}: starting (log {log_file(name, s)})")
            svc.start(s)
    deadline = time.monotonic() + timeout_s
    for name in services:
        svc = SERVICES[name]
        while not svc.healthy(s):
            if _pid(name, s) is None:
                tail = log_file(name, s).read_text(errors="replace")[-3000:]
                raise StackError(f"{name} exited during start-up; log tail:\n{tail}")
            if time.monotonic() > deadline:
                raise StackError(f"{name} not healthy after {timeout_s:.0f}s; see {log_file(name, s)}")
            time.sleep(0.5)
        say(f"{name}: healthy on port {svc.port(s)}")
    return status(s)


def stop_service(name: str, settings: Settings, timeout_s: float = 60.0) -> bool:
    """Stop one service (SIGTERM, then SIGKILL after the timeout). Returns whether it was running."""
    s = settings
    pid = _pid(name, s)
    if pid is None:
        return False
    os.killpg(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout_s
    while _pid(name, s) is not None and time.monotonic() < deadline:
        time.sleep(0.3)
    if _pid(name, s) is not None:
        os.killpg(pid, signal.SIGKILL)
        time.sleep(0.5)
    _pid_file(name, s).unlink(missing_ok=True)
    return True


def start_service(name: str, settings: Settings, timeout_s: float = 180.0) -> None:
    up(settings, timeout_s=timeout_s, services=(name,))


def down(settings: Settings, *, purge: bool = False) -> list[str]:
    s = settings
    stopped = [name for name in reversed(list(SERVICES)) if stop_service(name, s)]
    if purge:
        for name in SERVICES:
            shutil.rmtree(s.home / name, ignore_errors=True)
    return stopped
