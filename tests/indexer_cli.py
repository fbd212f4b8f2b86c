"""Helpers shared by the tests that drive ``python -m indexer`` as a real subprocess."""

import subprocess
import sys
from pathlib import Path


def run_indexer(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    """``python -m indexer -q ARGS`` with ``env``; output captured as text."""
    return subprocess.run([sys.executable, "-m", "indexer", "-q", *args], capture_output=True, text=True,
                          timeout=600, env=env)


def write_note(folder: Path, name: str, text: str) -> Path:
    """A small UTF-8 input file in ``folder``."""
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path
