"""Vectors of every chunk's sentences and of its heading, computed at index time.

The answer composer scores each sentence of the top passages by its cosine to the
question. Embedding those sentences on first sight made the first answers slow
and a fresh process under load slower still, so they are embedded when a chunk is
indexed (through the embedding cache, so re-indexing costs nothing) and kept
row-aligned with the chunks:

    sentences/spans.npy     int32 (n_sentences, 2): [start, end) in the chunk text
    sentences/offsets.npy   int64 (n_chunks + 1,): chunk i owns rows offsets[i]:offsets[i+1]
    sentences/vectors.npy   float16 (n_sentences, dim), unit vectors, memory-mapped on load
    sentences/headings.npy  float16 (n_chunks, dim): each chunk's heading vector, pooled from the same run
                            (``passage_vectors``), which the learned fusion compares with the question

float16 halves the file and the mapped memory; its rounding (≈ 1e-3 of a cosine)
is far below the differences between sentences that decide an answer. The
sentences' tokens are kept beside them (``sentence_terms``).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from indexer.records import Sentence
from indexer.retrieval.sentence_terms import SentenceTerms

SPANS = "spans.npy"
OFFSETS = "offsets.npy"
VECTORS = "vectors.npy"
HEADINGS = "headings.npy"

class SentenceStore:
    def __init__(self, spans: np.ndarray, offsets: np.ndarray, vectors: np.ndarray, headings: np.ndarray,
                 terms: SentenceTerms | None = None) -> None:
        if offsets.ndim != 1 or len(offsets) == 0 or offsets[0] != 0 or offsets[-1] != len(spans):
            raise ValueError(f"sentence offsets do not cover the {len(spans)} stored sentences")
        if len(vectors) != len(spans):
            raise ValueError(f"{len(vectors)} sentence vectors for {len(spans)} sentences")
        if len(headings) != len(offsets) - 1:
            raise ValueError(f"{len(headings)} heading vectors for {len(offsets) - 1} chunks")
        self.spans = spans
        self.offsets = offsets
        self.vectors = vectors
        self.headings = headings
        self.terms = SentenceTerms.uncut(len(spans), len(offsets) - 1) if terms is None else terms
        if self.terms.n_sentences != len(spans) or len(self.terms.dictionary) != len(offsets) - 1:
            raise ValueError("sentence terms are not row-aligned with the stored sentences")

    @classmethod
    def empty(cls, dim: int) -> SentenceStore:
        return cls(np.zeros((0, 2), np.int32), np.zeros(1, np.int64), np.zeros((0, dim), np.float16),
                   np.zeros((0, dim), np.float16), SentenceTerms.empty())

    @classmethod
    def from_sentences(cls, per_chunk: Sequence[list[Sentence]], vectors: np.ndarray, headings: np.ndarray,
                       terms: SentenceTerms | None = None) -> SentenceStore:
        """A store for chunks whose sentences are ``per_chunk``; ``vectors`` has one row per sentence, in order,
        ``headings`` one per chunk; ``terms`` the sentences' tokens (None: not cut)."""
        spans = np.asarray([(s.start, s.end) for sentences in per_chunk for s in sentences], dtype=np.int32)
        offsets = np.zeros(len(per_chunk) + 1, dtype=np.int64)
        np.cumsum([len(s) for s in per_chunk], out=offsets[1:])
        return cls(spans.reshape(-1, 2), offsets, np.asarray(vectors, dtype=np.float16),
                   np.asarray(headings, dtype=np.float16), terms)

    @property
    def n_chunks(self) -> int:
        return len(self.offsets) - 1

    @property
    def nbytes(self) -> int:
        return int(self.spans.nbytes + self.offsets.nbytes + self.vectors.nbytes + self.headings.nbytes
                   + self.terms.nbytes)

    def for_chunk(self, row: int, text: str) -> tuple[list[Sentence], np.ndarray]:
        """The sentences of chunk ``row`` (whose text is ``text``) and their float32 vectors."""
        lo, hi = int(self.offsets[row]), int(self.offsets[row + 1])
        sentences = [Sentence(text[a:b], int(a), int(b)) for a, b in self.spans[lo:hi]]
        return sentences, np.asarray(self.vectors[lo:hi], dtype=np.float32)

    def terms_of(self, row: int, dictionary: int) -> list[frozenset[str]] | None:
        """The distinct tokens of each sentence of chunk ``row``, as cut by a tokenizer whose dictionary has
        ``dictionary`` words; None when they were cut by another one (or never)."""
        return self.terms.for_chunk(row, range(int(self.offsets[row]), int(self.offsets[row + 1])), dictionary)

    def extend(self, other: SentenceStore) -> SentenceStore:
        """A store with ``other``'s chunks appended after this one's."""
        return SentenceStore(
            np.concatenate([self.spans, other.spans]),
            np.concatenate([self.offsets, other.offsets[1:] + self.offsets[-1]]),
            np.concatenate([np.asarray(self.vectors), np.asarray(other.vectors)]),
            np.concatenate([np.asarray(self.headings), np.asarray(other.headings)]),
            self.terms.extend(other.terms),
        )

    def without(self, rows: Sequence[int]) -> SentenceStore:
        """A store without the given chunk rows."""
        keep_chunk = np.ones(self.n_chunks, dtype=bool)
        keep_chunk[np.asarray(rows, dtype=np.int64)] = False
        counts = np.diff(self.offsets)
        keep_sentence = np.repeat(keep_chunk, counts)
        offsets = np.zeros(int(keep_chunk.sum()) + 1, dtype=np.int64)
        np.cumsum(counts[keep_chunk], out=offsets[1:])
        return SentenceStore(self.spans[keep_sentence], offsets, np.asarray(self.vectors)[keep_sentence],
                             np.asarray(self.headings)[keep_chunk], self.terms.without(keep_chunk, keep_sentence))

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        np.save(folder / SPANS, self.spans)
        np.save(folder / OFFSETS, self.offsets)
        np.save(folder / VECTORS, np.asarray(self.vectors, dtype=np.float16))
        np.save(folder / HEADINGS, np.asarray(self.headings, dtype=np.float16))
        self.terms.save(folder)

    @classmethod
    def load(cls, folder: Path) -> SentenceStore:
        """Spans and offsets are read; the vectors are memory-mapped (shared between processes)."""
        spans, offsets = np.load(folder / SPANS), np.load(folder / OFFSETS)
        vectors = np.load(folder / VECTORS, mmap_mode="r") if len(spans) else np.load(folder / VECTORS)
        headings = np.load(folder / HEADINGS, mmap_mode="r") if len(offsets) > 1 else np.load(folder / HEADINGS)
        return cls(spans, offsets, vectors, headings, SentenceTerms.load(folder, len(spans), len(offsets) - 1))
