"""Starting ``python -m service`` for a benchmark: a free loopback port and waiting until it is ready.

Shared by the load test, the service benchmark and the index-following check, so each waits the
same way: poll ``/readyz``, stop early with the service's last log lines if it exits, give up
after a deadline.
"""

from __future__ import annotations

import socket
import subprocess
import time
from typing import IO

import httpx

from evaluation.runner import RunError


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_ready(
    process: subprocess.Popen, url: str, timeout_s: float, log: IO[bytes] | None = None,
    client: httpx.Client | None = None,
) -> None:
    """Return once ``url``/readyz answers 200; RunError if the service exits or the deadline passes.

    ``log`` is the file the service's stderr goes to (its tail explains an early exit); ``client``
    reuses a connection pool the caller keeps.
    """
    get = client.get if client is not None else httpx.get
    deadline = time.monotonic() + timeout_s
    while True:
        if process.poll() is not None:
            tail = ""
            if log is not None:
                log.seek(0)
                tail = log.read().decode("utf-8", "replace")[-500:].strip()
            raise RunError(f"the service exited with code {process.returncode}: {tail}")
        try:
            if get(f"{url}/readyz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise RunError(f"the service at {url} did not become ready within {timeout_s:.0f} s")
        time.sleep(0.2)
