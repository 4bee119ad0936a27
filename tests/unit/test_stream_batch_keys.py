"""Writer batch keys: stable across processes, one key per subtask, routed as Flink routes them."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter

import pytest

from sekisho.settings import PROJECT_ROOT
from streams.batch_keys import batch_key, subtask_keys, subtask_of

IDS = [f"traveller:{n:06d}" for n in range(2000)]

_PROGRAM = """
import sys
from streams.batch_keys import batch_key, subtask_keys
keys = subtask_keys(4)
print(",".join(str(batch_key(f"traveller:{n:06d}", keys)) for n in range(2000)))
print(hash("traveller:000001"))
"""


def _keys_in_process(seed: str) -> tuple[list[int], int]:
    env = {**os.environ, "PYTHONHASHSEED": seed}
    out = subprocess.run([sys.executable, "-c", _PROGRAM], capture_output=True, text=True, check=True,
                         cwd=PROJECT_ROOT, env=env).stdout.split()
    return [int(k) for k in out[0].split(",")], int(out[1])


def test_same_id_gets_same_key_in_processes_with_different_hash_seeds() -> None:
    first, first_hash = _keys_in_process("1")
    second, second_hash = _keys_in_process("2")
    assert first_hash != second_hash  # the built-in hash really differs between the two processes
    assert first == second
    assert first == [batch_key(i, subtask_keys(4)) for i in IDS]


@pytest.mark.parametrize("parallelism", [1, 2, 3, 4, 8, 16, 128])
def test_keys_cover_every_subtask(parallelism: int) -> None:
    keys = subtask_keys(parallelism)
    assert sorted(subtask_of(k, parallelism) for k in keys) == list(range(parallelism))
    load = Counter(subtask_of(batch_key(i, keys), parallelism) for i in IDS)
    assert len(load) == parallelism
    assert min(load.values()) > len(IDS) / parallelism * 0.7  # CRC-32 spreads ids evenly


def test_parallelism_above_key_groups_is_refused() -> None:
    with pytest.raises(ValueError, match="max parallelism"):
        subtask_keys(200, 128)


def test_routing_matches_flinks_key_group_assignment() -> None:
    """The Python routing must equal Flink's own (a one-field Row key, as PyFlink's key_by makes it)."""
    from pyflink.java_gateway import get_gateway

    jvm = get_gateway().jvm
    assignment = jvm.org.apache.flink.runtime.state.KeyGroupRangeAssignment
    for key in [*range(200), 2**31 - 63, 2**31 - 1]:
        row = jvm.org.apache.flink.types.Row.withPositions(1)
        row.setField(0, key)
        for max_parallelism, parallelism in ((128, 2), (128, 4), (128, 3), (256, 7)):
            expected = assignment.assignKeyToParallelOperator(row, max_parallelism, parallelism)
            assert subtask_of(key, parallelism, max_parallelism) == expected, (key, parallelism)
