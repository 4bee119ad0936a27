"""What a user sees from the README's run command: `sekisho demo` on the real local stack."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest

from sekisho import es_io
from sekisho.settings import PROJECT_ROOT, Settings

pytestmark = [pytest.mark.integration, pytest.mark.slow]

PYFLINK_LOOPBACK_VARIABLES = ("PYFLINK_GATEWAY_DISABLED", "PYTHON_LOOPBACK_SERVER_ADDRESS", "_PYFLINK_CONN_INFO_PATH")


def test_demo_finds_the_planted_network_and_says_where_to_look(stack: Settings, tmp_path: Path) -> None:
    from targeting.sources import queue_for

    namespace = f"demo{uuid.uuid4().hex[:6]}"
    # A Flink job run earlier in this pytest process (loopback mode) leaves PyFlink's worker variables in
    # os.environ; a child inheriting PYFLINK_GATEWAY_DISABLED could not start its own job.
    inherited = {k: v for k, v in os.environ.items() if k not in PYFLINK_LOOPBACK_VARIABLES}
    env = {**inherited, "SEKISHO_NAMESPACE": namespace, "COLUMNS": "200",
           "SEKISHO_HOME": str(tmp_path), "SEKISHO_MODEL_DIR": str(PROJECT_ROOT / "var" / "models")}
    result = subprocess.run([sys.executable, "-m", "sekisho.cli", "demo"], env=env, capture_output=True, text=True,
                            timeout=1500, check=False)
    out = result.stdout
    assert result.returncode == 0, out[-3000:] + result.stderr[-3000:]
    queue_table = out[out.index("Inspection queue NRT"):]
    assert "160-12345675" in queue_table[: queue_table.index("│ 2 ")]  # the first row of the printed queue
    # The planted consignment is the first pick, explained by the path to the SDN-listed payer.
    demo = stack.model_copy(update={"namespace": namespace, "home": tmp_path})
    first = queue_for("NRT", datetime.now(UTC).date(), settings=demo).picks[0]
    assert "160-12345675" in first.label and "PACIFIC RIM PRECISION" in first.label
    why = " ".join(first.explanation)
    assert "KOREA MINING DEVELOPMENT TRADING CORPORATION" in why and "OFAC SDN" in why and "+85291234567" in why
    # The sample with a dangling release character stays a dead letter; pnrBadFormat.edi is now read,
    # with its damage recorded as parse warnings.
    assert "edifact.service_characters" in out
    assert "Screening leads" in out and "alerts in the last" in out
    assert "crawled pages (NER)" in out  # the NER stage ran in the stream on the crawled fixture site
    assert "http://127.0.0.1:8640/" in out
    es_io.delete_namespace(demo)
