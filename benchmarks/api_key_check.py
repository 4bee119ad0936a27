"""API key checks under a flood of wrong secrets: the scrypt-only check against the pre-check Sekisho uses.

Usage: ``.venv/bin/python benchmarks/api_key_check.py [--flood 16] [--rounds 3]``

Both checkers verify the same keys. The baseline is the check without the pre-check (every wrong
secret for a known key id costs one scrypt, an unknown id costs nothing); Sekisho's ``KeyVerifier``
refuses wrong secrets and unknown ids after one salted SHA-256. Reported, per checker: the median time
to refuse an unknown key id and a wrong secret for a known one (equal times leave no timing oracle for
enumerating key ids), and the median latency of ``GET /api/me`` with a valid key over HTTP (uvicorn in
this process, the same app with either checker) idle and while ``--flood`` client threads keep
presenting wrong secrets for the same key id (the flood's cost to honest callers). The flood is kept
small because the baseline's scrypt calls load the (shared) machine.
"""

from __future__ import annotations

import argparse
import socket
import statistics
import sys
import threading
import time
from dataclasses import replace
from pathlib import Path

import httpx
import uvicorn

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sekisho.settings import Settings
from targeting.alerts import MemorySubscriptions
from targeting.api import create_app
from targeting.api.ingest import MemoryRawSink
from targeting.api.keys import KeyStore, KeyVerifier, MemoryKeyStore, StoredKey, create_key, split_key
from targeting.api.memory_store import MemoryStore
from targeting.api.roles import Role


class WithoutPreCheck:
    """The key store as it was before the pre-check: keys carry no check value (and get none), so the
    verifier runs scrypt for every secret presented with a known key id."""

    def __init__(self, inner: KeyStore) -> None:
        self.inner = inner

    def add(self, stored: StoredKey) -> None:
        """Keys are created in ``inner``; the verifier's upgrade (storing a check value) is not kept."""

    def get(self, key_id: str) -> StoredKey | None:
        stored = self.inner.get(key_id)
        return replace(stored, check_hex=None) if stored is not None else None

    def all(self) -> list[StoredKey]:
        return [replace(k, check_hex=None) for k in self.inner.all()]


def median_us(check: object, key: str, n: int) -> float:
    verify = check.verify  # type: ignore[attr-defined]
    times = []
    for _ in range(n):
        started = time.perf_counter()
        verify(key)
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1e6


def http_median_us(base: str, key: str, n: int) -> float:
    times = []
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {key}"}, timeout=120) as client:
        for _ in range(n):
            started = time.perf_counter()
            client.get("/api/me")
            times.append(time.perf_counter() - started)
    return statistics.median(times) * 1e6


def under_flood(base: str, valid: str, wrong: str, threads: int, n: int) -> float:
    stop = threading.Event()

    def flood() -> None:
        with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {wrong}"}, timeout=60) as client:
            while not stop.is_set():
                client.get("/api/me")

    workers = [threading.Thread(target=flood, daemon=True) for _ in range(threads)]
    for worker in workers:
        worker.start()
    time.sleep(0.5)
    try:
        return http_median_us(base, valid, n)
    finally:
        stop.set()
        for worker in workers:
            worker.join()


def served(store: MemoryKeyStore, check: object) -> tuple[uvicorn.Server, str]:
    app = create_app(MemoryStore(), store, MemoryRawSink(), MemorySubscriptions(), Settings())
    app.state.verifier = check
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    return server, f"http://127.0.0.1:{port}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("--flood", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    store = MemoryKeyStore()
    valid = create_key(store, Role.ANALYST, "bench")
    key_id, secret = split_key(valid) or ("", "")
    wrong = f"sk_{key_id}_{secret[:-4]}XXXX"
    unknown = f"sk_000000000000_{secret}"
    rows: dict[str, list[tuple[float, float, float, float]]] = {"scrypt only (baseline)": [], "sekisho": []}
    for _ in range(args.rounds):
        for name, check in (("scrypt only (baseline)", KeyVerifier(WithoutPreCheck(store))),
                            ("sekisho", KeyVerifier(store))):
            check.verify(valid)  # remembered from now on, as in a running server
            server, base = served(store, check)
            try:
                rows[name].append((median_us(check, unknown, 200), median_us(check, wrong, 20),
                                   http_median_us(base, valid, 50), under_flood(base, valid, wrong, args.flood, 20)))
            finally:
                server.should_exit = True
    print(f"{'checker':<24}{'unknown id':>14}{'wrong secret':>16}{'GET valid':>12}{'GET, flood':>16}  (median µs)")
    best = {name: [min(r[i] for r in runs) for i in range(4)] for name, runs in rows.items()}
    for name, (unknown_us, wrong_us, valid_us, flooded_us) in best.items():
        print(f"{name:<24}{unknown_us:>14.1f}{wrong_us:>16.1f}{valid_us:>12.1f}{flooded_us:>16.1f}")
    base, ours = best["scrypt only (baseline)"], best["sekisho"]
    print(f"wrong secret / unknown id: baseline {base[1] / base[0]:.0f}x, sekisho {ours[1] / ours[0]:.1f}x")
    print(f"valid-key latency under a {args.flood}-thread flood / idle: baseline {base[3] / base[2]:.0f}x, "
          f"sekisho {ours[3] / ours[2]:.1f}x")
    print(f"valid-key latency under the flood, baseline / sekisho: {base[3] / ours[3]:.1f}x")


if __name__ == "__main__":
    main()
