"""The index's tokens of every chunk's sentences, cut at index time for the answer composer.

An answer scores each sentence of its top passages by the share of the question's
terms the sentence holds; cutting those sentences with jieba at request time was
the largest Python cost of an answer. They are cut when a chunk is indexed
(beside BM25's tokenization) and kept row-aligned with the sentence store:

    sentences/terms.json        the distinct terms, in order of first use (ids never change)
    sentences/term_ids.npy      int32: each sentence's distinct terms, sentence after sentence
    sentences/term_offsets.npy  int64 (n_sentences + 1,): sentence i owns ids term_offsets[i]:[i+1]
    sentences/term_dictionary.npy  int64 (n_chunks,): the tokenizer's dictionary size when the
                                chunk's sentences were cut; -1: not cut

A chunk's terms are only valid for the tokenizer that cut them: an update that adds words to the
corpus dictionary changes the tokenizer, so the chunks indexed before it report no terms (their
sentences are cut at request time, as before) until the next build. An index written before
this store has none of these files and reports no terms either.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np

TERMS = "terms.json"
IDS = "term_ids.npy"
OFFSETS = "term_offsets.npy"
DICTIONARY = "term_dictionary.npy"
NOT_CUT = -1


class SentenceTerms:
    def __init__(self, vocab: list[str], ids: np.ndarray, offsets: np.ndarray, dictionary: np.ndarray) -> None:
        if offsets.ndim != 1 or len(offsets) == 0 or offsets[0] != 0 or offsets[-1] != len(ids):
            raise ValueError(f"sentence term offsets do not cover the {len(ids)} stored term ids")
        if len(ids) and (int(ids.min()) < 0 or int(ids.max()) >= len(vocab)):
            raise ValueError(f"sentence term ids outside the {len(vocab)} stored terms")
        self.vocab = vocab
        self.term_ids = {t: i for i, t in enumerate(vocab)}
        self.ids = ids
        self.offsets = offsets
        self.dictionary = dictionary

    @classmethod
    def empty(cls) -> SentenceTerms:
        return cls([], np.zeros(0, np.int32), np.zeros(1, np.int64), np.zeros(0, np.int64))

    @classmethod
    def uncut(cls, n_sentences: int, n_chunks: int) -> SentenceTerms:
        """Terms of an index that stored none (every chunk ``NOT_CUT``)."""
        return cls([], np.zeros(0, np.int32), np.zeros(n_sentences + 1, np.int64),
                   np.full(n_chunks, NOT_CUT, np.int64))

    @property
    def n_sentences(self) -> int:
        return len(self.offsets) - 1

    @property
    def nbytes(self) -> int:
        return int(self.ids.nbytes + self.offsets.nbytes + self.dictionary.nbytes)

    @classmethod
    def from_tokens(cls, per_chunk: Sequence[Sequence[Sequence[str]]], dictionary: int) -> SentenceTerms:
        """Terms of chunks whose sentences' tokens are ``per_chunk``, cut with a dictionary of that size."""
        term_ids: dict[str, int] = {}
        ids: list[int] = []
        counts: list[int] = []
        for sentences in per_chunk:
            for tokens in sentences:
                distinct = [term_ids.setdefault(t, len(term_ids)) for t in dict.fromkeys(tokens)]
                ids.extend(distinct)
                counts.append(len(distinct))
        offsets = np.zeros(len(counts) + 1, dtype=np.int64)
        np.cumsum(counts, out=offsets[1:])
        return cls(list(term_ids), np.asarray(ids, np.int32), offsets,
                   np.full(len(per_chunk), dictionary, np.int64))

    def extend(self, other: SentenceTerms) -> SentenceTerms:
        """These terms with ``other``'s chunks appended (its term ids mapped onto this vocabulary)."""
        vocab, term_ids = list(self.vocab), dict(self.term_ids)
        mapping = np.asarray([term_ids.setdefault(t, len(term_ids)) for t in other.vocab], dtype=np.int32)
        vocab.extend(other.vocab[i] for i in range(len(other.vocab)) if mapping[i] >= len(self.vocab))
        ids = mapping[other.ids] if len(other.ids) else np.zeros(0, np.int32)
        return SentenceTerms(vocab, np.concatenate([self.ids, ids]),
                             np.concatenate([self.offsets, other.offsets[1:] + self.offsets[-1]]),
                             np.concatenate([self.dictionary, other.dictionary]))

    def without(self, keep_chunk: np.ndarray, keep_sentence: np.ndarray) -> SentenceTerms:
        """These terms without the chunks (and their sentences) not kept; term ids stay."""
        counts = np.diff(self.offsets)
        offsets = np.zeros(int(keep_sentence.sum()) + 1, dtype=np.int64)
        np.cumsum(counts[keep_sentence], out=offsets[1:])
        keep_id = np.repeat(keep_sentence, counts)
        return SentenceTerms(self.vocab, self.ids[keep_id], offsets, self.dictionary[keep_chunk])

    def for_chunk(self, row: int, sentence_rows: range, dictionary: int) -> list[frozenset[str]] | None:
        """Each sentence's distinct terms (rows ``sentence_rows``), or None when cut with another dictionary."""
        if int(self.dictionary[row]) != dictionary:
            return None
        vocab, ids, offsets = self.vocab, self.ids, self.offsets
        return [frozenset(vocab[i] for i in ids[offsets[s]:offsets[s + 1]].tolist()) for s in sentence_rows]

    def save(self, folder: Path) -> None:
        (folder / TERMS).write_text(json.dumps(self.vocab, ensure_ascii=False), encoding="utf-8")
        np.save(folder / IDS, self.ids)
        np.save(folder / OFFSETS, self.offsets)
        np.save(folder / DICTIONARY, self.dictionary)

    @classmethod
    def load(cls, folder: Path, n_sentences: int, n_chunks: int) -> SentenceTerms:
        if not (folder / TERMS).exists():  # an index written before sentence terms were stored
            return cls.uncut(n_sentences, n_chunks)
        terms = cls(json.loads((folder / TERMS).read_text(encoding="utf-8")), np.load(folder / IDS),
                    np.load(folder / OFFSETS), np.load(folder / DICTIONARY))
        if terms.n_sentences != n_sentences or len(terms.dictionary) != n_chunks:
            raise ValueError(f"sentence terms cover {terms.n_sentences} sentences of {len(terms.dictionary)} "
                             f"chunks, the store {n_sentences} of {n_chunks}")
        return terms
