"""What a user sees from the README's run command: `sekisho demo` on the real local stack."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from sekisho.settings import PROJECT_ROOT, Settings

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_demo_finds_the_planted_network_and_says_where_to_look(stack: Settings, tmp_path: Path) -> None:
    env = {**os.environ, "SEKISHO_NAMESPACE": f"demo{uuid.uuid4().hex[:6]}", "COLUMNS": "200",
           "SEKISHO_HOME": str(tmp_path), "SEKISHO_MODEL_DIR": str(PROJECT_ROOT / "var" / "models")}
    result = subprocess.run([sys.executable, "-m", "sekisho.cli", "demo"], env=env, capture_output=True, text=True,
                            timeout=1500, check=False)
    out = result.stdout
    assert result.returncode == 0, out[-3000:] + result.stderr[-3000:]
    queue = out[out.index("Inspection queue NRT"):]
    first_pick = queue[: queue.index("│ 2 ")]
    # The planted consignment is the first pick, explained by the path to the SDN-listed payer.
    assert "160-12345675" in first_pick and "PACIFIC RIM PRECISION" in first_pick
    assert "KOREA MINING DEVELOPMENT" in first_pick and "OFAC SDN" in first_pick
    assert "edifact.syntax" in out and "edifact.service_characters" in out  # the malformed samples
    assert "Screening leads" in out and "alerts in the last" in out
    assert "http://127.0.0.1:8640/" in out
