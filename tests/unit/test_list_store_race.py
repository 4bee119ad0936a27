"""Processes that share the screening list work directory (the stream's workers, `sekisho screen name`,
the API) race on it: each builds the directory of its own selection of list files and sweeps the others.
Real processes here, forked, on a real file system: none may lose a directory it is reading, see one
half built, or leave temporary directories behind."""

from __future__ import annotations

import multiprocessing
import os
import time
from multiprocessing.synchronize import Barrier, Event
from pathlib import Path

import pytest

from sekisho.list_store import screening_list_dir, store_list_file

FORK = multiprocessing.get_context("fork")
LIST_FILES = {"sdn.csv": b"sdn snapshot\n", "csl.csv": b"csl snapshot\n", "dpl.txt": b"dpl snapshot\n"}


def _bundled(tmp_path: Path) -> Path:
    bundled = tmp_path / "bundled"
    bundled.mkdir()
    for name, body in LIST_FILES.items():
        (bundled / name).write_bytes(body)
    return bundled


def _crawled(tmp_path: Path, name: str, csl: bytes) -> Path:
    """A crawler's list store whose latest CSL is ``csl``: a selection of its own."""
    store = tmp_path / name
    content_hash = name.encode().hex().ljust(64, "0")
    store_list_file(store, "US CSL", content_hash, csl, "http://lists.example/csl.csv", "2026-12-07")
    return store


def _read_as_screening_does(directory: Path, csl: bytes, reads: int) -> None:
    """Read every list file a few times, with pauses in which the other processes build and sweep."""
    for _ in range(reads):
        found = {path.name: path.read_bytes() for path in directory.iterdir()}
        assert found == {**LIST_FILES, "csl.csv": csl}, f"{directory}: {sorted(found)}"
        time.sleep(0.002)


def _screen_once(bundled: Path, store: Path, work: Path, csl: bytes) -> None:
    """One short-lived command (``sekisho screen name``): choose the lists, read them, exit."""
    try:
        _read_as_screening_does(screening_list_dir(bundled, store, work), csl, reads=3)
    except BaseException as exc:  # the exit code is what the parent checks; the output says why
        print(f"pid {os.getpid()}: {type(exc).__name__}: {exc}", flush=True)
        os._exit(1)
    os._exit(0)


def _lane(bundled: Path, stores: list[tuple[Path, bytes]], work: Path, start: Barrier, rounds: int, lane: int) -> None:
    """Commands one after another, alternating between the two selections."""
    start.wait()
    failures = 0
    for number in range(rounds):
        store, csl = stores[(number + lane) % len(stores)]
        command = FORK.Process(target=_screen_once, args=(bundled, store, work, csl))
        command.start()
        command.join()
        failures += command.exitcode != 0
    os._exit(min(failures, 100))


def _leftovers(work: Path) -> list[str]:
    return sorted(name for name in os.listdir(work) if name.endswith(".tmp") or name.startswith(".trash-"))


def _selections(work: Path) -> list[str]:
    return sorted(path.name for path in work.glob("lists-*") if path.is_dir())


def test_commands_racing_on_two_selections_never_lose_the_directory_they_read(tmp_path: Path) -> None:
    bundled = _bundled(tmp_path)
    stores = [(_crawled(tmp_path, "store-a", b"csl refreshed a\n"), b"csl refreshed a\n"),
              (_crawled(tmp_path, "store-b", b"csl refreshed b\n"), b"csl refreshed b\n")]
    work = tmp_path / "work"
    start = FORK.Barrier(2)
    lanes = [FORK.Process(target=_lane, args=(bundled, stores, work, start, 30, lane)) for lane in range(2)]
    for lane in lanes:
        lane.start()
    for lane in lanes:
        lane.join(timeout=300)
    assert [lane.exitcode for lane in lanes] == [0, 0], "some commands failed to read their lists (see output)"

    # Once every command has exited, the next one keeps only its own selection and nothing half made.
    store, csl = stores[0]
    chosen = screening_list_dir(bundled, store, work)
    _read_as_screening_does(chosen, csl, reads=1)
    assert _selections(work) == [chosen.name]
    assert _leftovers(work) == []


def _build_together(bundled: Path, store: Path, work: Path, start: Barrier, csl: bytes, out: Path) -> None:
    try:
        start.wait()
        chosen = screening_list_dir(bundled, store, work)
        _read_as_screening_does(chosen, csl, reads=1)
        out.write_text(str(chosen))
    except BaseException as exc:  # as above
        print(f"pid {os.getpid()}: {type(exc).__name__}: {exc}", flush=True)
        os._exit(1)
    os._exit(0)


@pytest.mark.parametrize("attempt", range(3))
def test_processes_building_the_same_selection_at_once_agree_on_one_directory(tmp_path: Path, attempt: int) -> None:
    bundled = _bundled(tmp_path)
    csl = f"csl {attempt}\n".encode()
    store = _crawled(tmp_path, "store", csl)
    work = tmp_path / "work"
    start = FORK.Barrier(3)
    outs = [tmp_path / f"chosen-{n}" for n in range(3)]
    builders = [FORK.Process(target=_build_together, args=(bundled, store, work, start, csl, out)) for out in outs]
    for builder in builders:
        builder.start()
    for builder in builders:
        builder.join(timeout=120)
    assert [builder.exitcode for builder in builders] == [0, 0, 0]
    assert len({out.read_text() for out in outs}) == 1
    assert _selections(work) == [Path(outs[0].read_text()).name]
    assert _leftovers(work) == []


def _hold_until(bundled: Path, store: Path, work: Path, held: Event, release: Event, out: Path) -> None:
    """A long-running reader (a stream worker): obtains its lists, then keeps them until told to stop."""
    out.write_text(str(screening_list_dir(bundled, store, work)))
    held.set()
    release.wait(timeout=120)
    os._exit(0)


def test_a_directory_a_live_process_holds_is_not_swept_until_it_exits(tmp_path: Path) -> None:
    bundled = _bundled(tmp_path)
    old_csl, new_csl = b"csl before the refresh\n", b"csl after the refresh\n"
    old_store, new_store = _crawled(tmp_path, "old", old_csl), _crawled(tmp_path, "new", new_csl)
    work = tmp_path / "work"
    held, release = FORK.Event(), FORK.Event()
    out = tmp_path / "held"
    worker = FORK.Process(target=_hold_until, args=(bundled, old_store, work, held, release, out))
    worker.start()
    try:
        assert held.wait(timeout=120)
        kept = Path(out.read_text())
        sweeper = FORK.Process(target=_screen_once, args=(bundled, new_store, work, new_csl))
        sweeper.start()
        sweeper.join(timeout=120)
        assert sweeper.exitcode == 0
        _read_as_screening_does(kept, old_csl, reads=1)  # still whole: its holder is alive
    finally:
        release.set()
        worker.join(timeout=120)
    current = screening_list_dir(bundled, new_store, work)
    assert not kept.exists()  # its holder exited: the next sweep takes it away
    assert _selections(work) == [current.name]
    assert _leftovers(work) == []
