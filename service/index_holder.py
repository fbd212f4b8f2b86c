"""Holds the index being served and swaps in updated copies.

Searches read ``current`` (one reference read, never blocked). An update works
on the backend's next version (``begin_update``) under a lock, writes it to disk atomically, then replaces the
reference, so searches keep being served during an update and see the new
index as soon as it is complete.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from indexer.backends.base import IndexBackend


class IndexUnavailable(RuntimeError):
    pass


class IndexHolder:
    def __init__(self, index: IndexBackend | None, reason: str = "") -> None:
        self._index = index
        self._reason = reason
        self._write_lock = threading.Lock()

    @property
    def current(self) -> IndexBackend:
        index = self._index
        if index is None:
            raise IndexUnavailable(self._reason or "the index is not loaded")
        return index

    @property
    def ready(self) -> bool:
        return self._index is not None

    def update(self, change: Callable[[IndexBackend], object]) -> object:
        with self._write_lock:
            updated = self.current.begin_update()
            outcome = change(updated)
            self._index = updated
            return outcome
