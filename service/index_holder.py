"""Holds the index being served, follows versions other writers publish, and runs this process's updates.

Searches read ``current`` (one reference read, never blocked). ``refresh`` (called every
``INDEX_POLL_SECONDS`` by the app) compares the published version with the one served (one
readlink) and loads a newer one beside it before swapping the reference. An update takes the
cross-process writer lock, starts from the newest published version (never a stale copy), keeps
the originals in the document store, publishes, and then serves the result.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from indexer.backends.base import BackendUnavailable, IndexBackend
from indexer.backends.factory import IndexSite
from indexer.records import IngestResult

log = logging.getLogger(__name__)


class IndexUnavailable(RuntimeError):
    pass


class IndexHolder:
    def __init__(self, site: IndexSite | None = None, reason: str = "still loading") -> None:
        self._site = site
        self._index: IndexBackend | None = None
        self._reason = reason
        self._failed_version = ""  # a published version that would not load (not retried until it changes)
        self._lock = threading.Lock()  # this process's updates and refreshes

    @property
    def current(self) -> IndexBackend:
        index = self._index
        if index is None:
            raise IndexUnavailable(self._reason or "the index is not loaded")
        return index

    @property
    def ready(self) -> bool:
        return self._index is not None

    @property
    def reason(self) -> str:
        return "" if self._index is not None else self._reason

    def load(self) -> None:
        """Open the published index; when that fails, stay "not ready" with the reason (never raise)."""
        with self._lock:
            self._load_published()

    def refresh(self) -> bool:
        """Serve a newer published version, if there is one; True when it switched."""
        if self._site is None:
            return False
        published = self._site.published_version()
        index = self._index
        if (index is not None and published == index.version) or published == self._failed_version:
            return False
        if not self._lock.acquire(blocking=False):
            return False  # an update is running; it serves the newest version when done
        try:
            if self._index is not None and self._site.published_version() == self._index.version:
                return False
            return self._load_published()
        finally:
            self._lock.release()

    def stage(self, result: IngestResult, files: list[tuple[Path, str]]) -> Any:
        """Keep the originals of an upload in the document store (before the writer lock is taken)."""
        return self._require_site().writer.stage(result, files)

    def update(self, change: Callable[[IndexBackend, Any], object]) -> object:
        """Run ``change(index, writer)`` on the newest published version under the writer lock, then serve it."""
        site = self._require_site()
        with self._lock, site.writer.lock():
            published = site.published_version()
            if self._index is None or (published and published != self._index.version):
                self._index, self._reason, self._failed_version = site.open(), "", ""
                log.info("loaded the newest published index %s before updating", self._index.version)
            base = self._index
            site.writer.reconcile(base.store_seq)
            updated = base.begin_update()
            outcome = change(updated, site.writer)
            self._index = updated
            return outcome

    def _load_published(self) -> bool:
        assert self._site is not None
        published = self._site.published_version()
        try:
            fresh = self._site.open()
        except BackendUnavailable as exc:
            return self._failed(published, str(exc))
        except Exception as exc:  # a damaged index must never take the service down
            log.exception("loading the index failed")
            return self._failed(published, f"the index could not be loaded: {exc.__class__.__name__}: {exc}")
        previous = self._index
        self._index, self._reason, self._failed_version = fresh, "", ""
        if previous is not None:
            log.info("switched from index version %s to %s", previous.version, fresh.version)
        return True

    def _failed(self, published: str, reason: str) -> bool:
        self._failed_version = published
        if self._index is None:
            self._reason = reason
            log.error("not ready: %s", reason)
        else:
            log.error("the newly published index %s cannot be loaded (%s); still serving %s", published, reason,
                      self._index.version)
        return False

    def _require_site(self) -> IndexSite:
        if self._site is None:
            raise IndexUnavailable(self._reason or "the index is not loaded")
        return self._site
