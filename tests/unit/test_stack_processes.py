"""The local stack's view of its node processes."""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path

from sekisho import stack
from sekisho.settings import Settings


def test_a_node_killed_while_this_process_is_its_parent_reads_as_gone(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path)
    node = subprocess.Popen(["sleep", "60"], start_new_session=True)
    try:
        pid_file = stack._pid_file("some-node", settings)
        pid_file.write_text(str(node.pid))
        assert stack._pid("some-node", settings) == node.pid
        node.send_signal(signal.SIGKILL)
        # Dead but not yet collected, it would stay a zombie that a signal probe still finds.
        for _ in range(50):
            if stack._pid("some-node", settings) is None:
                break
            time.sleep(0.1)
        assert stack._pid("some-node", settings) is None
    finally:
        node.kill()
