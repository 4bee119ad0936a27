"""Warm Python workers for the TaskManagers: a pool process that has imported the job code once and forks
a Beam SDK worker for each request, instead of every worker starting a cold interpreter.

In process mode a TaskManager starts a Python worker per slot (its Python operators share it), for
every job, with ``$python -m pyflink.fn_execution.beam.beam_boot ...``. A cold worker
imports Beam, PyFlink, pandas, Great Expectations and the job's modules before its first record: 3-5 s
of CPU, paid again by every worker of every job and of every restart after a failure, all at the same
moment. Here ``python.executable`` is a launcher (a script that runs this file's ``launch`` with
``python -S``; ``sekisho.stack_cluster`` writes it) that hands its arguments,
environment, working directory and standard streams (as file descriptors, over a Unix socket) to the
pool; the pool forks, and the child, which already holds every module, runs ``beam_boot`` as
``python -m`` would. A worker starts in milliseconds, and the imported pages are shared copy-on-write.

What does not change: the worker is a process of its own with its own interpreter lock, runs the same
code with the TaskManager's environment and arguments, and lives exactly as long as its launcher. The
launcher forwards the signals it receives to the worker and exits with the worker's exit status; when
the launcher dies (a TaskManager killed with its process group), the worker's end of the socket closes
and the worker kills itself.

The pool only ever runs ``beam_boot``. It answers "cold" (and the launcher starts an ordinary
interpreter, with a warning in the worker's log and in ``cold_start_log``) when it is not running, when
it is asked for anything else, or when a file of any module it imported changed since it started; in
that last case it also restarts itself, so that code that changed is never run from a stale import.

This module imports nothing but the standard library at its top: the launcher runs it with ``python -S``.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import importlib
import json
import os
import signal
import socket
import sys
import threading
import time
import traceback
from pathlib import Path
from typing import Any

BEAM_BOOT = "pyflink.fn_execution.beam.beam_boot"
# What a worker of the ingest job imports (its pickled functions reference these modules);
# anything else is imported by the forked worker itself, as a cold one would.
PRELOAD = (
    BEAM_BOOT,
    "pyflink.fn_execution.beam.beam_sdk_worker_main",
    "pyflink.fn_execution.beam.beam_operations",
    "pyflink.fn_execution.beam.beam_coders",
    "pyflink.fn_execution.datastream.operations",
    "pyflink.fn_execution.datastream.process.operations",
    "apache_beam.runners.worker.sdk_worker",
    "great_expectations",
    "streams.jobs.ingest_job",
    "pipeline.validation",
    "pipeline.screening_decisions",
    "sekisho.kafka_io",
    "sekisho.es_io",
)
MAX_REQUEST = 1 << 20  # bytes of one request (arguments and environment)
CONNECT_TIMEOUT_S = 5.0
REQUEST_TIMEOUT_S = 5.0


def _send(sock: socket.socket, message: dict[str, Any], fds: list[int] | None = None) -> None:
    data = json.dumps(message).encode()
    if fds:
        socket.send_fds(sock, [data], fds)
    else:
        sock.send(data)


def _receive(sock: socket.socket) -> dict[str, Any] | None:
    data = sock.recv(MAX_REQUEST)
    if not data:
        return None
    message: dict[str, Any] = json.loads(data)
    return message


# ---------------------------------------------------------------------------------------------
# The pool


class ModuleFiles:
    """The files of every imported module, as they were when the pool imported them."""

    def __init__(self) -> None:
        self.seen: dict[str, tuple[int, int]] = {}
        for module in list(sys.modules.values()):
            path = getattr(module, "__file__", None)
            if not isinstance(path, str) or path in self.seen:
                continue
            try:
                st = os.stat(path)
            except OSError:
                continue
            self.seen[path] = (st.st_mtime_ns, st.st_size)

    def changed(self) -> str | None:
        """The first file that changed (or went away) since it was recorded, or None."""
        for path, (mtime, size) in self.seen.items():
            try:
                st = os.stat(path)
            except OSError:
                return path
            if (st.st_mtime_ns, st.st_size) != (mtime, size):
                return path
        return None


def _python_path(env: dict[str, str]) -> list[str]:
    return [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]


class Pool:
    def __init__(self, socket_path: Path, preload: tuple[str, ...]) -> None:
        self.socket_path = socket_path
        started = time.monotonic()
        cpu = time.process_time()
        for name in preload:
            importlib.import_module(name)
        self.files = ModuleFiles()
        # sys.path without the pool's own PYTHONPATH entries: a worker puts its own in front of it.
        own = set(_python_path(dict(os.environ)))
        self.base_path = [p for p in sys.path[1:] if p not in own]
        self.preload_s = (time.monotonic() - started, time.process_time() - cpu)
        gc.collect()
        gc.freeze()  # the imported objects stay out of the children's collections: their pages stay shared
        self.served = 0

    def serve(self) -> None:
        self.socket_path.parent.mkdir(parents=True, exist_ok=True)
        self.socket_path.unlink(missing_ok=True)
        server = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        server.bind(str(self.socket_path))
        os.chmod(self.socket_path, 0o600)
        server.listen(64)
        signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # the children are reaped by the kernel
        wall, cpu = self.preload_s
        print(f"python worker pool {os.getpid()}: {len(sys.modules)} modules imported in {wall:.1f} s "
              f"({cpu:.1f} s CPU); listening on {self.socket_path}", flush=True)
        while True:
            conn, _ = server.accept()
            try:
                self.handle(server, conn)
            except Exception:  # a bad request ends its connection, never the pool
                traceback.print_exc()
            finally:
                conn.close()

    def handle(self, server: socket.socket, conn: socket.socket) -> None:
        conn.settimeout(REQUEST_TIMEOUT_S)  # one launcher that connects and says nothing holds up no other
        try:
            data, fds, _flags, _addr = socket.recv_fds(conn, MAX_REQUEST, 3)
        except TimeoutError:
            print(f"python worker pool: a client sent no request within {REQUEST_TIMEOUT_S:.0f} s; dropped it",
                  flush=True)
            return
        try:
            if not data:  # a health check that only connects
                return
            request = json.loads(data)
            if request.get("ping"):
                _send(conn, {"ready": True, "pid": os.getpid(), "modules": len(self.files.seen),
                             "served": self.served})
                return
            argv = request.get("argv")
            if not isinstance(argv, list) or argv[:2] != ["-m", BEAM_BOOT] or len(fds) != 3:
                _send(conn, {"cold": f"the pool only starts {BEAM_BOOT} with three standard streams"})
                return
            changed = self.files.changed()
            if changed is not None:
                _send(conn, {"cold": f"{changed} changed since the pool imported it; the pool restarts"})
                print(f"python worker pool: {changed} changed; restarting", flush=True)
                server.close()
                for fd in fds:  # received descriptors are inherited across exec: the launcher's streams
                    os.close(fd)
                fds.clear()
                os.execv(sys.executable, [sys.executable, *sys.orig_argv[1:]])
            sys.stdout.flush()
            sys.stderr.flush()
            pid = os.fork()
            if pid == 0:
                server.close()
                _run_worker(conn, fds, request, self.base_path)  # never returns
            self.served += 1
        finally:
            for fd in fds:
                os.close(fd)


def _run_worker(conn: socket.socket, fds: list[int], request: dict[str, Any], base_path: list[str]) -> None:
    """In the forked child: become the worker the launcher asked for, run it, report its exit status."""
    code = 1
    try:
        conn.settimeout(None)  # the launcher-watch thread waits on it for the launcher's whole life
        os.setpgid(0, 0)  # its fate is its launcher's, not the pool's: stopping the pool leaves it running
        for sig in (signal.SIGCHLD, signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(sig, signal.SIG_DFL)
        for target, fd in enumerate(fds):
            os.dup2(fd, target)
            os.close(fd)
        fds.clear()
        env = {str(k): str(v) for k, v in dict(request.get("env") or {}).items()}
        os.environ.clear()
        os.environ.update(env)
        os.chdir(str(request.get("cwd") or "/"))
        # As `python -m`: the working directory first, then PYTHONPATH, then the interpreter's own path.
        sys.path[:] = [os.getcwd(), *_python_path(env), *base_path]
        sys.argv = ["-m", *list(request["argv"])[2:]]
        _send(conn, {"pid": os.getpid()})
        threading.Thread(target=_die_with_launcher, args=(conn,), daemon=True, name="launcher-watch").start()
        import runpy

        try:
            runpy.run_module(BEAM_BOOT, run_name="__main__", alter_sys=True)
            code = 0
        except SystemExit as exit_:
            code = exit_.code if isinstance(exit_.code, int) else (0 if exit_.code is None else 1)
    except BaseException:
        traceback.print_exc()
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
            _send(conn, {"exit": code})
        finally:
            os._exit(code)


def _die_with_launcher(conn: socket.socket) -> None:
    """The worker lives as long as its launcher: the launcher's end closing means it is gone."""
    try:
        while conn.recv(64):
            pass
    except OSError:
        pass
    os.kill(os.getpid(), signal.SIGKILL)


def ping(socket_path: Path, timeout_s: float = 2.0) -> dict[str, Any] | None:
    """The pool's answer to a ping, or None when it does not answer (not started, still importing)."""
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET) as sock:
            sock.settimeout(timeout_s)
            sock.connect(str(socket_path))
            _send(sock, {"ping": True})
            return _receive(sock)
    except (OSError, ValueError):
        return None


# ---------------------------------------------------------------------------------------------
# The launcher: what python.executable runs


def cold_start_log(socket_path: Path) -> Path:
    """Where launchers record their cold starts, beside the pool's socket (the worker's own boot log lives
    in the job's temporary Python directory and goes with it)."""
    return socket_path.with_name("cold-starts.log")


def _cold(socket_path: Path, args: list[str], reason: str) -> None:
    line = f"WARNING sekisho python worker launcher: {reason}; starting a cold Python worker"
    print(line, file=sys.stderr, flush=True)
    with contextlib.suppress(OSError), cold_start_log(socket_path).open("a") as log:
        log.write(f"{time.strftime('%Y-%m-%dT%H:%M:%S%z')} pid {os.getpid()} {line}\n")
    os.execv(sys.executable, [sys.executable, *args])


def launch(socket_path: Path, args: list[str]) -> int:
    """Run ``python <args>`` through the pool when it can, else as an ordinary interpreter (exec)."""
    if args[:2] != ["-m", BEAM_BOOT]:
        os.execv(sys.executable, [sys.executable, *args])
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    try:
        sock.settimeout(CONNECT_TIMEOUT_S)
        sock.connect(str(socket_path))
        _send(sock, {"argv": args, "env": dict(os.environ), "cwd": os.getcwd()}, [0, 1, 2])
        reply = _receive(sock)
    except (OSError, ValueError) as exc:
        sock.close()
        _cold(socket_path, args, f"no python worker pool at {socket_path} ({exc})")
        return 1  # not reached: exec
    if not reply or "pid" not in reply:
        sock.close()
        _cold(socket_path, args, f"the python worker pool declined: {(reply or {}).get('cold', 'no answer')}")
        return 1
    pid = int(reply["pid"])

    def forward(signum: int, _frame: Any) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signum)

    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGQUIT):
        signal.signal(sig, forward)
    sock.settimeout(None)
    while True:
        try:
            reply = _receive(sock)
        except InterruptedError:
            continue
        except OSError:
            reply = None
        if reply is None:
            print(f"sekisho python worker launcher: worker {pid} ended without an exit status", file=sys.stderr)
            return 1
        if "exit" in reply:
            return int(reply["exit"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python_workers", description=__doc__.split("\n\n")[0] if __doc__ else "")
    sub = parser.add_subparsers(dest="command", required=True)
    serve_p = sub.add_parser("serve", help="run the pool")
    serve_p.add_argument("--socket", type=Path, required=True)
    serve_p.add_argument("--preload", default=",".join(PRELOAD), help="modules to import first, comma-separated")
    launch_p = sub.add_parser("launch", help="start a worker through the pool (what python.executable runs)")
    launch_p.add_argument("--socket", type=Path, required=True)
    launch_p.add_argument("args", nargs=argparse.REMAINDER)
    ns = parser.parse_args(argv)
    if ns.command == "serve":
        Pool(ns.socket, tuple(m for m in ns.preload.split(",") if m)).serve()
        return 0
    args = list(ns.args)
    if args[:1] == ["--"]:
        args = args[1:]
    return launch(ns.socket, args)


if __name__ == "__main__":
    sys.exit(main())
