"""The files shipped in ``indexer/data`` (dictionaries, stop words, fitted models), read in one place."""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def data_text(name: str, path: Path | None = None) -> str:
    """The text of ``indexer/data/<name>``, or of ``path`` when one is given (e.g. a refitted model)."""
    if path is not None:
        return Path(path).read_text(encoding="utf-8")
    return resources.files("indexer.data").joinpath(name).read_text(encoding="utf-8")
