"""Waiting for a benchmark's service: an early exit is reported with the service's own last words."""

from __future__ import annotations

import subprocess
import sys
import tempfile

import pytest

from evaluation.runner import RunError
from evaluation.service_process import free_port, wait_ready


def test_a_service_that_exits_early_is_reported_with_its_log_tail_not_waited_for() -> None:
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen([sys.executable, "-c", "import sys; sys.stderr.write('no index at x'); sys.exit(3)"],
                                   stderr=log)
        process.wait()
        with pytest.raises(RunError, match=r"exited with code 3: no index at x"):
            wait_ready(process, f"http://127.0.0.1:{free_port()}", timeout_s=60, log=log)


def test_a_service_that_never_gets_ready_times_out() -> None:
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        with pytest.raises(RunError, match="did not become ready within 1 s"):
            wait_ready(process, f"http://127.0.0.1:{free_port()}", timeout_s=1)
    finally:
        process.kill()
        process.wait()
