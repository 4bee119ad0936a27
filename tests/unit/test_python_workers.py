"""The warm Python worker pool and its launcher (streams/python_workers.py), with the real ``beam_boot``.

A worker started by the launcher asks a provision service for its endpoints, as it does under a
TaskManager; the one here answers with endpoints nobody listens on. With ``FLINK_BOOT_TESTING=1``
beam_boot stops right after, which shows that the worker ran with the launcher's environment; without
it the worker keeps trying to reach its control endpoint, long enough to be killed."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent import futures
from pathlib import Path

import grpc
import pytest
from apache_beam.portability.api.org.apache.beam.model.fn_execution.v1 import (
    beam_provision_api_pb2,
    beam_provision_api_pb2_grpc,
)
from apache_beam.portability.api.org.apache.beam.model.pipeline.v1.endpoints_pb2 import ApiServiceDescriptor

from sekisho.settings import PROJECT_ROOT
from streams import python_workers

LAUNCHER = PROJECT_ROOT / "streams" / "python_workers.py"
BOOT_TESTING_DONE = "Shut down Python harness due to FLINK_BOOT_TESTING is set"
COLD = "starting a cold Python worker"


class Provision(beam_provision_api_pb2_grpc.ProvisionServiceServicer):  # type: ignore[misc]
    def GetProvisionInfo(self, request: object, context: object) -> object:
        info = beam_provision_api_pb2.ProvisionInfo(
            logging_endpoint=ApiServiceDescriptor(url="localhost:1"),
            control_endpoint=ApiServiceDescriptor(url="localhost:1"))
        return beam_provision_api_pb2.GetProvisionInfoResponse(info=info)


@pytest.fixture(scope="module")
def provision() -> Iterator[str]:
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    beam_provision_api_pb2_grpc.add_ProvisionServiceServicer_to_server(Provision(), server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    yield f"127.0.0.1:{port}"
    server.stop(0)


def _clean_environment(**extra: str) -> dict[str, str]:
    """A TaskManager's kind of environment. Not this process's: a PyFlink job run in this process (the
    integration tests) leaves its workers' variables in ``os.environ``, among them
    PYTHON_LOOPBACK_SERVER_ADDRESS, which sends beam_boot to this process's own loopback worker pool."""
    keep = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "JAVA_HOME")
    return {**{k: os.environ[k] for k in keep if k in os.environ}, **extra}


def _start_pool(socket_path: Path, preload: str, extra_path: Path | None = None) -> subprocess.Popen[bytes]:
    env = _clean_environment(PYTHONPATH=os.pathsep.join(str(p) for p in (PROJECT_ROOT, extra_path) if p))
    pool = subprocess.Popen([sys.executable, "-m", "streams.python_workers", "serve", "--socket", str(socket_path),
                             "--preload", preload], env=env, cwd=PROJECT_ROOT, start_new_session=True)
    deadline = time.monotonic() + 60
    while python_workers.ping(socket_path) is None:
        assert pool.poll() is None, "the pool exited during start-up"
        assert time.monotonic() < deadline, "the pool did not answer in time"
        time.sleep(0.2)
    return pool


@pytest.fixture()
def pool(tmp_path: Path) -> Iterator[Path]:
    socket_path = tmp_path / "run" / "workers.sock"
    proc = _start_pool(socket_path, python_workers.BEAM_BOOT)
    yield socket_path
    proc.kill()
    proc.wait()


def _launch(socket_path: Path, *args: str, env: dict[str, str] | None = None,
            **kwargs: object) -> subprocess.Popen[str]:
    command = [sys.executable, "-S", str(LAUNCHER), "launch", "--socket", str(socket_path), "--", *args]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env=_clean_environment(**(env or {})), **kwargs)  # type: ignore[call-overload]


def _boot(provision: str) -> tuple[str, ...]:
    return ("-m", python_workers.BEAM_BOOT, "--id=1-1", f"--provision_endpoint={provision}")


def _children(pid: int) -> list[int]:
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            children.append(int(stat.parent.name))
    return children


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_a_worker_is_forked_by_the_pool_with_the_launchers_environment(pool: Path, provision: str,
                                                                      tmp_path: Path) -> None:
    served = python_workers.ping(pool)
    assert served is not None and served["served"] == 0
    launcher = _launch(pool, *_boot(provision), env={"FLINK_BOOT_TESTING": "1"}, cwd=tmp_path)
    out, _ = launcher.communicate(timeout=60)
    assert launcher.returncode == 0, out
    assert BOOT_TESTING_DONE in out  # the worker read FLINK_BOOT_TESTING from the launcher's environment
    assert COLD not in out
    after = python_workers.ping(pool)
    assert after is not None and after["served"] == 1


def test_the_worker_exit_status_is_the_launchers(pool: Path, tmp_path: Path) -> None:
    # No provision service at this endpoint: beam_boot fails, and the launcher exits as the worker did.
    launcher = _launch(pool, "-m", python_workers.BEAM_BOOT, "--id=1-1", "--provision_endpoint=127.0.0.1:1")
    out, _ = launcher.communicate(timeout=60)
    assert launcher.returncode == 1
    assert "StatusCode.UNAVAILABLE" in out and COLD not in out
    after = python_workers.ping(pool)
    assert after is not None and after["served"] == 1


def test_without_a_pool_the_launcher_starts_a_cold_worker_and_says_so(provision: str, tmp_path: Path) -> None:
    launcher = _launch(tmp_path / "nothing.sock", *_boot(provision), env={"FLINK_BOOT_TESTING": "1"})
    out, _ = launcher.communicate(timeout=120)
    assert launcher.returncode == 0, out
    assert "no python worker pool" in out and COLD in out
    assert BOOT_TESTING_DONE in out
    recorded = python_workers.cold_start_log(tmp_path / "nothing.sock").read_text()
    assert "no python worker pool" in recorded and f"pid {launcher.pid}" in recorded


def test_anything_but_beam_boot_runs_as_an_ordinary_interpreter(pool: Path) -> None:
    launcher = _launch(pool, "-c", "import sys; print('plain', sys.flags.no_site)")
    out, _ = launcher.communicate(timeout=60)
    assert launcher.returncode == 0
    assert out.strip() == "plain 0"  # with site, unlike the launcher itself
    after = python_workers.ping(pool)
    assert after is not None and after["served"] == 0


def test_a_changed_module_file_gives_a_cold_worker_and_restarts_the_pool(provision: str, tmp_path: Path) -> None:
    module = tmp_path / "lib" / "preloaded_here.py"
    module.parent.mkdir()
    module.write_text("VALUE = 1\n")
    socket_path = tmp_path / "run" / "workers.sock"
    proc = _start_pool(socket_path, f"{python_workers.BEAM_BOOT},preloaded_here", module.parent)
    try:
        module.write_text("VALUE = 2  # edited after the pool imported it\n")
        launcher = _launch(socket_path, *_boot(provision), env={"FLINK_BOOT_TESTING": "1"})
        out, _ = launcher.communicate(timeout=120)
        assert launcher.returncode == 0, out
        assert "preloaded_here.py changed since the pool imported it" in out and COLD in out
        assert BOOT_TESTING_DONE in out
        # The pool started again (same process, new interpreter) and serves warm workers once more.
        deadline = time.monotonic() + 60
        while (answer := python_workers.ping(socket_path)) is None:
            assert proc.poll() is None and time.monotonic() < deadline
            time.sleep(0.2)
        assert answer["pid"] == proc.pid and answer["served"] == 0
        again = _launch(socket_path, *_boot(provision), env={"FLINK_BOOT_TESTING": "1"})
        out, _ = again.communicate(timeout=60)
        assert again.returncode == 0 and COLD not in out, out
    finally:
        proc.kill()
        proc.wait()


def _running_worker(pool_pid: int, launcher: subprocess.Popen[str]) -> int:
    deadline = time.monotonic() + 30
    while not (workers := _children(pool_pid)):
        assert launcher.poll() is None, launcher.stdout.read() if launcher.stdout else ""
        assert time.monotonic() < deadline, "no worker forked"
        time.sleep(0.1)
    return workers[0]


@pytest.mark.parametrize("how", ["SIGTERM", "SIGKILL"])
def test_a_worker_ends_with_its_launcher(tmp_path: Path, provision: str, how: str) -> None:
    """A signal to the launcher reaches the worker; a launcher killed outright (its TaskManager's process
    group killed) takes the worker with it."""
    socket_path = tmp_path / "run" / "workers.sock"
    proc = _start_pool(socket_path, python_workers.BEAM_BOOT)
    try:
        # Without FLINK_BOOT_TESTING the worker goes on to its control endpoint, where nobody answers.
        launcher = _launch(socket_path, *_boot(provision))
        worker = _running_worker(proc.pid, launcher)
        launcher.send_signal(getattr(signal, how))
        launcher.communicate(timeout=30)
        deadline = time.monotonic() + 15
        while _alive(worker):
            assert time.monotonic() < deadline, f"worker {worker} outlived its launcher ({how})"
            time.sleep(0.1)
        assert python_workers.ping(socket_path) is not None  # the pool itself goes on
    finally:
        proc.kill()
        proc.wait()


def test_a_running_worker_outlives_the_pool(tmp_path: Path, provision: str) -> None:
    """Stopping or killing the pool (its process group) leaves the workers it started to their launchers."""
    socket_path = tmp_path / "run" / "workers.sock"
    proc = _start_pool(socket_path, python_workers.BEAM_BOOT)
    launcher = _launch(socket_path, *_boot(provision))
    try:
        worker = _running_worker(proc.pid, launcher)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        time.sleep(1.0)
        assert _alive(worker) and launcher.poll() is None
    finally:
        launcher.kill()
        launcher.communicate(timeout=30)
    deadline = time.monotonic() + 15
    while _alive(worker):
        assert time.monotonic() < deadline, f"worker {worker} outlived its launcher"
        time.sleep(0.1)


def test_a_client_that_connects_and_says_nothing_does_not_hold_up_the_pool(pool: Path, provision: str) -> None:
    with socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET) as silent:
        silent.connect(str(pool))
        started = time.monotonic()
        launcher = _launch(pool, *_boot(provision), env={"FLINK_BOOT_TESTING": "1"})
        out, _ = launcher.communicate(timeout=60)
        assert launcher.returncode == 0 and COLD not in out, out
        assert time.monotonic() - started < 30  # served once the silent request timed out (5 s)
