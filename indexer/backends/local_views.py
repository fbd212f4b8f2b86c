"""What one caller may search in the local backend: a retriever over the admitted documents only.

Access (``groups``) and lifecycle (``hide``) decide which documents are candidates at all.
The admitted set is computed once per distinct ``SearchFilters.access_key`` (groups, policy,
day) and the retriever over its rows once per distinct set, so a request pays a dictionary
look-up; when every document is admitted the full retriever serves, exactly as before.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence

import numpy as np

from indexer.records import Chunk, Document, SearchFilters
from indexer.retrieval.retriever import Retriever

MAX_KEYS = 256  # distinct (groups, policy, day) combinations remembered
MAX_VIEWS = 8  # distinct admitted sets kept as built retrievers


class AccessViews:
    def __init__(self, documents: dict[str, Document], chunks: Sequence[Chunk],
                 full: Callable[[], Retriever]) -> None:
        self.documents = documents
        self.chunks = chunks
        self.full = full
        self._admitted: OrderedDict[tuple, frozenset[str] | None] = OrderedDict()
        self._views: OrderedDict[frozenset[str], Retriever] = OrderedDict()
        self._lock = threading.Lock()

    def resolve(self, filters: SearchFilters | None) -> tuple[Retriever, np.ndarray | None]:
        """The retriever to search with, and the rows to demote (or ``None``)."""
        if filters is None:
            return self.full(), None
        admitted = self._admitted_ids(filters)
        retriever = self.full() if admitted is None else self._view(admitted)
        demoted = None
        if filters.effective_lifecycle == "demote":
            ended = {d.doc_id for d in self.documents.values() if not filters.in_force(d)}
            if ended:
                demoted = np.fromiter((c.doc_id in ended for c in retriever.chunks), dtype=bool,
                                      count=len(retriever.chunks))
        return retriever, demoted

    def _admitted_ids(self, filters: SearchFilters) -> frozenset[str] | None:
        """The admitted doc ids, or ``None`` when every document is admitted."""
        if not filters.restricts_documents():
            return None
        key = filters.access_key()
        with self._lock:
            if key in self._admitted:
                self._admitted.move_to_end(key)
                return self._admitted[key]
        ids = frozenset(d.doc_id for d in self.documents.values() if filters.admits(d))
        admitted = None if len(ids) == len(self.documents) else ids
        with self._lock:
            self._admitted[key] = admitted
            while len(self._admitted) > MAX_KEYS:
                self._admitted.popitem(last=False)
        return admitted

    def _view(self, admitted: frozenset[str]) -> Retriever:
        with self._lock:
            if admitted in self._views:
                self._views.move_to_end(admitted)
                return self._views[admitted]
        rows = [i for i, c in enumerate(self.chunks) if c.doc_id in admitted]
        docs = [d for d in self.documents.values() if d.doc_id in admitted]
        view = self.full().subset(rows, docs)
        with self._lock:
            self._views[admitted] = view
            while len(self._views) > MAX_VIEWS:
                self._views.popitem(last=False)
        return view
