"""Every change to an index goes through here: one writer lock across processes, the store first, then the backend.

The order makes a crash safe: originals are copied into the document store (content-addressed,
harmless on their own), the journal event is appended and fsynced, then the backend publishes a
version that records the event's sequence number (``store_seq``). A writer that dies between the
two leaves an event newer than the published index; the next writer voids it (``reconcile``), so
the store and the index agree again. Any exception from the backend voids the event at once.
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from filelock import FileLock, Timeout

from config import Settings
from indexer.backends.base import BackendUnavailable, IndexBackend
from indexer.backends.document_store import DocumentStore, StoredFile, StoreError
from indexer.ingest.loaders import DEFAULT_MAX_BYTES
from indexer.records import Chunk, Document, IngestError, IngestResult

log = logging.getLogger(__name__)


# (paths, {path: source to show}, largest file size) -> documents and chunks, as the first ingest made them
Reingest = Callable[[list[Path], dict[str, str], int], IngestResult]


class WriterBusy(BackendUnavailable):
    """Another process kept the writer lock longer than ``WRITER_LOCK_TIMEOUT_S``."""


@dataclass
class RebuildReport:
    documents: int
    chunks: int
    originals: int
    errors: list[IngestError] = field(default_factory=list)


class IndexWriter:
    def __init__(self, settings: Settings, store: DocumentStore, reingest: Reingest) -> None:
        self.settings = settings
        self.store = store
        self._ingest = reingest
        self._lock = FileLock(store.lock_path, timeout=settings.writer_lock_timeout_s)

    @contextmanager
    def lock(self) -> Iterator[None]:
        """Hold the one writer lock (released by the kernel if the process dies)."""
        self.store.ensure()
        holder = self.store.root / ".writer.pid"
        try:
            self._lock.acquire()
        except Timeout:
            who = holder.read_text().strip() if holder.is_file() else "unknown"
            raise WriterBusy(
                f"another writer (pid {who}) has held {self.store.lock_path} for more than "
                f"{self.settings.writer_lock_timeout_s:.0f} s; try again when it has finished"
            ) from None
        try:
            holder.write_text(str(os.getpid()))
            yield
        finally:
            self._lock.release()

    # ---- outside the lock -------------------------------------------------------------
    def stage(self, result: IngestResult, files: list[tuple[Path, str]]) -> list[StoredFile]:
        """Copy the originals that produced documents into the store; documents get their display ``source``.

        ``files`` pairs each ingested path with the source its documents show (the path, or an upload's
        name); the original's name in the store is that source's file name, since doc_ids derive from it.
        """
        staged = []
        for path, label in files:
            produced = [d for d in result.documents if any(d.source == k or d.source.startswith(k + "#")
                                                           for k in (str(path), label))]
            if not produced:
                continue
            staged.append(self.store.put(Path(path), label))  # OSError (e.g. disk full) propagates as is
            for doc in produced:
                if doc.source.startswith(str(path)) and label != str(path):
                    doc.source = label + doc.source[len(str(path)):]
        return staged

    # ---- with the lock held -----------------------------------------------------------
    def reconcile(self, published_seq: int | None) -> list[int]:
        """Void store events newer than the published index (their writer stopped before publishing)."""
        if published_seq is None:
            return []
        stale = self.store.live_after(published_seq)
        if stale:
            log.warning("voiding store events %s: never published (an interrupted writer)", stale)
            self.store.void(stale, "never published: the writer stopped before publishing")
        return stale

    def build(self, backend: IndexBackend, result: IngestResult, staged: list[StoredFile], origin: str,
              show_progress: bool = False) -> None:
        event = self.store.append("build", origin=origin, files=staged, doc_ids=[d.doc_id for d in result.documents])
        with self._voided_on_failure(event.seq):
            backend.build(result.documents, result.chunks, show_progress=show_progress, store_seq=event.seq)

    def add(self, backend: IndexBackend, result: IngestResult, staged: list[StoredFile], origin: str,
            show_progress: bool = False) -> None:
        event = self.store.append("add", origin=origin, files=staged, doc_ids=[d.doc_id for d in result.documents])
        with self._voided_on_failure(event.seq):
            backend.add(result.documents, result.chunks, show_progress=show_progress, store_seq=event.seq)

    def remove(self, backend: IndexBackend, doc_ids: list[str], origin: str) -> list[str]:
        present = [d for d in dict.fromkeys(doc_ids) if backend.document(d) is not None]
        if present:
            event = self.store.append("remove", origin=origin, doc_ids=present)
            with self._voided_on_failure(event.seq):
                backend.remove(present, store_seq=event.seq)
        return present

    def update_documents(self, backend: IndexBackend, documents: list[Document], origin: str) -> None:
        """New metadata (lifecycle, visibility, ...) for indexed documents, kept in the store for rebuilds."""
        metadata = [{k: v for k, v in asdict(d).items() if k != "text"} for d in documents]
        event = self.store.append("update", origin=origin, doc_ids=[d.doc_id for d in documents], documents=metadata)
        with self._voided_on_failure(event.seq):
            backend.update_documents(documents, store_seq=event.seq)

    def rebuild(self, backend: IndexBackend, published_seq: int | None, show_progress: bool = False,
                prepare: Callable[[list[Document]], list[Document]] | None = None) -> RebuildReport:
        """Re-ingest the store's originals in their journal order into ``backend`` (a new, empty one)."""
        self.reconcile(published_seq)
        plan = self.store.plan()
        if not any(e.op == "build" for e in plan):
            raise StoreError(
                f"{self.store.root} holds no `build`: the index predates the store. Run `python -m indexer build "
                "PATH...` once; from then on every original is kept"
            )
        state: dict[str, tuple[Document, list[Chunk]]] = {}
        errors: list[IngestError] = []
        originals = 0
        for event in plan:
            if event.op == "build":
                state.clear()
            if event.op in ("build", "add"):
                result = self._reingest(event.files)
                originals += len(event.files)
                errors.extend(result.errors)
                for doc in result.documents:
                    state.pop(doc.doc_id, None)
                    state[doc.doc_id] = (doc, [])
                for chunk in result.chunks:
                    state[chunk.doc_id][1].append(chunk)
            elif event.op == "remove":
                for doc_id in event.doc_ids:
                    state.pop(doc_id, None)
            elif event.op == "update":
                for metadata in event.documents:
                    if metadata.get("doc_id") in state:
                        doc, doc_chunks = state[metadata["doc_id"]]
                        known = {k: v for k, v in metadata.items() if k in Document.__dataclass_fields__}
                        state[doc.doc_id] = (replace(doc, **known), doc_chunks)
        documents = [doc for doc, _ in state.values()]
        chunks = [c for _, doc_chunks in state.values() for c in doc_chunks]
        if not documents:
            raise StoreError(f"{self.store.root}: the store's history leaves no documents; nothing to rebuild")
        if prepare is not None:  # e.g. lifecycle links and administrators' corrections, as a build applies them
            documents = prepare(documents)
        backend.build(documents, chunks, show_progress=show_progress, store_seq=self.store.head())
        return RebuildReport(len(documents), len(chunks), originals, errors)

    def _reingest(self, files: list[StoredFile]) -> IngestResult:
        with tempfile.TemporaryDirectory(prefix="rebuild-") as tmp:
            pairs = self.store.materialize_files(files, Path(tmp))
            largest = max((f.size for f in files), default=0)
            return self._ingest([p for p, _ in pairs], {str(p): f.source for p, f in pairs},
                                max(DEFAULT_MAX_BYTES, largest + 1))

    @contextmanager
    def _voided_on_failure(self, seq: int) -> Iterator[None]:
        try:
            yield
        except BaseException as exc:
            try:
                self.store.void([seq], f"not published: {exc.__class__.__name__}: {exc}"[:300])
            except OSError:  # e.g. the disk is full: the next writer's reconcile voids it
                log.warning("could not void store event %d now; the next writer will", seq)
            raise
