"""Persistent embedding cache keyed by (encoder name, text hash).

The encoder name carries the weights' checksum, so vectors from another model
or encoder are never reused. Re-indexing an unchanged corpus embeds nothing.
SQLite keeps it one file, safe under concurrent readers, incremental on write.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

SAVE_EVERY = 2048  # texts embedded between writes


def text_key(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


class EmbeddingCache:
    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._db: sqlite3.Connection | None = None
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(str(path), check_same_thread=False)
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS vectors (encoder TEXT, key TEXT, vec BLOB, PRIMARY KEY (encoder, key))"
            )
        self.hits = 0
        self.misses = 0

    def embed(
        self,
        encoder_name: str,
        texts: Sequence[str],
        compute: Callable[[list[str]], np.ndarray],
        dim: int,
    ) -> np.ndarray:
        """Vectors for ``texts``, computing only those not cached yet."""
        keys = [text_key(t) for t in texts]
        found = self.lookup(encoder_name, texts, dim)
        missing = [i for i, k in enumerate(keys) if k not in found]
        self.hits += len(texts) - len(missing)
        self.misses += len(missing)
        if missing:
            first_of_key = {keys[i]: i for i in reversed(missing)}
            todo = sorted(first_of_key.values())
            # computed and stored a slice at a time, so an interrupted big build keeps its progress
            for start in range(0, len(todo), SAVE_EVERY):
                part = [texts[i] for i in todo[start : start + SAVE_EVERY]]
                computed = compute(part)
                self.store(encoder_name, part, computed)
                found.update(zip(map(text_key, part), computed.astype(np.float32), strict=True))
        out = np.zeros((len(texts), dim), dtype=np.float32)
        for i, k in enumerate(keys):
            out[i] = found[k]
        return out

    def lookup(self, encoder_name: str, texts: Sequence[str], dim: int) -> dict[str, np.ndarray]:
        """The cached vectors of ``texts`` (those of length ``dim``), by ``text_key``."""
        found: dict[str, np.ndarray] = {}
        if self._db is None or not texts:
            return found
        unique = list(dict.fromkeys(text_key(t) for t in texts))
        for start in range(0, len(unique), 500):
            batch = unique[start : start + 500]
            marks = ",".join("?" * len(batch))
            rows = self._db.execute(
                f"SELECT key, vec FROM vectors WHERE encoder = ? AND key IN ({marks})", [encoder_name, *batch]
            )
            found.update((k, np.frombuffer(v, dtype=np.float32)) for k, v in rows)
        return {k: v for k, v in found.items() if v.shape[0] == dim}

    def store(self, encoder_name: str, texts: Sequence[str], vectors: np.ndarray) -> None:
        """Keep ``vectors`` (one row per text) for later builds."""
        if self._db is None or not len(texts):
            return
        with self._db:
            self._db.executemany(
                "INSERT OR REPLACE INTO vectors VALUES (?, ?, ?)",
                [(encoder_name, text_key(t), np.asarray(v, dtype=np.float32).tobytes())
                 for t, v in zip(texts, vectors, strict=True)],
            )

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None
