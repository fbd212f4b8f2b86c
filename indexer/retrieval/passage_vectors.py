"""Chunk vectors and their answer sentences' vectors from one encoder run per chunk, through the cache.

The answer composer scores the sentences of the top passages by their cosine to the question,
so an index stores a vector for every sentence of every chunk. Encoding each sentence as a
text of its own cost ~40% of a build (1,398 sentences beside 430 chunks on the gazette, ~150k
beside STARD's 58,653 articles). Instead, a sentence's vector is the mean of its tokens' states
in the chunk's own run (the graph averages all of them into the chunk's vector), normalized:
the sentence read in its passage's context, at no extra encoding. The context makes a
passage's sentences more alike (by cosine alone the right sentence of a gold passage comes
first less often), but the composer also weighs the question's terms, and its answers on the
dev set's held-out folds are the same as with separately encoded sentences (README, "Indexing
speed"); ``SENTENCE_VECTORS=separate`` encodes them one by one instead.

The same run gives each chunk a *heading vector*: the mean of the token states of what the
passage holds before the clause text (document title and clause path under the default
``DENSE_TEXT``), i.e. the heading read in the context of its clause. The learned fusion compares
the question with it apart from the whole passage (``fusion_features``: ``heading_gap``): a long
title repeated in every chunk of a document weighs in the passage's vector, and this gives the
context a signal of its own whose weight is fitted. A passage without a heading part (``DENSE_TEXT=text``)
gets its own vector.

All go into the embedding cache, so re-indexing stays free: chunk vectors under the encoder's
name keyed by the passage text (as before), sentence and heading vectors under
``<encoder>/in-passage`` keyed by the passage text and the span in it. An encoder without span
pooling (the torch reference), or ``SENTENCE_VECTORS=separate``, encodes the sentences and the
heading as texts of their own.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from config import Settings
from indexer.records import Chunk, Sentence
from indexer.retrieval.embedding_cache import SAVE_EVERY, EmbeddingCache, text_key
from indexer.retrieval.passage_text import dense_text


def sentence_namespace(encoder_name: str) -> str:
    return f"{encoder_name}/in-passage"


@dataclass(frozen=True)
class ChunkVectors:
    """What one embedding of some chunks gives, row-aligned with them (unit vectors)."""

    chunks: np.ndarray  # (n, dim): the passages, for dense retrieval
    sentences: list[np.ndarray]  # per chunk, one row per answer sentence
    headings: np.ndarray  # (n, dim): the passages' heading parts (see the module docstring)


def embed_chunks(cache: EmbeddingCache, encoder, chunks: list[Chunk], per_chunk: list[list[Sentence]],
                 settings: Settings, show_progress: bool = False) -> ChunkVectors:
    """The chunks' vectors, their sentences' and their headings'.

    The chunks are embedded as ``DENSE_TEXT`` says; with ``SENTENCE_VECTORS=in-passage`` the sentences
    and the heading are pooled from their chunk's run, otherwise (or with an encoder that cannot)
    each is encoded as a text of its own.
    """
    passages = [dense_text(c, settings.dense_text) for c in chunks]
    if settings.sentence_vectors != "in-passage" or not hasattr(encoder, "encode_passages_with_spans"):
        return _separately(cache, encoder, passages, chunks, per_chunk, show_progress)
    # each chunk's spans: its sentences, then its heading (the last one)
    spans = [[*passage_spans(p, c, sentences), heading_span(p, c)]
             for p, c, sentences in zip(passages, chunks, per_chunk, strict=True)]
    keys = [[_sentence_key(p, span) for span in s] for p, s in zip(passages, spans, strict=True)]
    namespace = sentence_namespace(encoder.name)
    chunk_found = cache.lookup(encoder.name, passages, encoder.dim)
    sentence_found = cache.lookup(namespace, [k for ks in keys for k in ks], encoder.dim)
    todo: dict[str, int] = {}  # passage key -> first chunk needing a run (equal passages run once)
    for i, passage in enumerate(passages):
        key = text_key(passage)
        if key not in chunk_found or any(text_key(k) not in sentence_found for k in keys[i]):
            todo.setdefault(key, i)
    cache.hits += len(chunks) - len(todo)
    cache.misses += len(todo)
    rows = list(todo.values())
    for start in range(0, len(rows), SAVE_EVERY):  # stored a slice at a time: an interrupted build keeps its progress
        part = rows[start : start + SAVE_EVERY]
        vectors, pooled = encoder.encode_passages_with_spans([passages[i] for i in part], [spans[i] for i in part],
                                                             show_progress=show_progress)
        fresh = [(passages[i], v) for i, v in zip(part, vectors, strict=True)
                 if text_key(passages[i]) not in chunk_found]  # a cached chunk vector stays as it was
        cache.store(encoder.name, [p for p, _ in fresh], np.asarray([v for _, v in fresh]).reshape(-1, encoder.dim))
        cache.store(namespace, [k for i in part for k in keys[i]], np.concatenate(pooled).reshape(-1, encoder.dim))
        for i, v in zip(part, vectors, strict=True):
            chunk_found.setdefault(text_key(passages[i]), v)
        for i, vecs in zip(part, pooled, strict=True):
            sentence_found.update(zip(map(text_key, keys[i]), vecs, strict=True))
    chunk_vectors = np.asarray([chunk_found[text_key(p)] for p in passages], dtype=np.float32).reshape(-1, encoder.dim)
    pooled = [np.asarray([sentence_found[text_key(k)] for k in ks], dtype=np.float32).reshape(-1, encoder.dim)
              for ks in keys]
    headings = np.asarray([p[-1] for p in pooled], dtype=np.float32).reshape(-1, encoder.dim)
    return ChunkVectors(chunk_vectors, [p[:-1] for p in pooled], headings)


def passage_spans(passage: str, chunk: Chunk, sentences: list[Sentence]) -> list[tuple[int, int]]:
    """The sentences' spans (offsets in the chunk's text) as offsets in its passage, which ends with that text."""
    if not passage.endswith(chunk.text):
        raise ValueError(f"chunk {chunk.chunk_id}: its embedded passage does not end with its text")
    base = len(passage) - len(chunk.text)
    return [(base + s.start, base + s.end) for s in sentences]


def heading_span(passage: str, chunk: Chunk) -> tuple[int, int]:
    """The span of what ``passage`` holds before the chunk's text (title and clause path, without the line
    break); (0, 0) when nothing (its vector is then the passage's)."""
    return 0, len(_heading_text(passage, chunk))


def _heading_text(passage: str, chunk: Chunk) -> str:
    return passage[: len(passage) - len(chunk.text)].rstrip("\n")


def _sentence_key(passage: str, span: tuple[int, int]) -> str:
    return f"{passage}\x00{span[0]}:{span[1]}"


def _separately(cache: EmbeddingCache, encoder, passages: list[str], chunks: list[Chunk],
                per_chunk: list[list[Sentence]], show_progress: bool) -> ChunkVectors:
    """Sentences and headings encoded as texts of their own; a passage without a heading part stands for it."""
    headings = [_heading_text(p, c) or p for p, c in zip(passages, chunks, strict=True)]
    texts = passages + headings + [s.text for sentences in per_chunk for s in sentences]
    vectors = cache.embed(encoder.name, texts, lambda todo: encoder.encode_passages(todo, show_progress=show_progress),
                          encoder.dim)
    n = len(passages)
    bounds = np.cumsum([2 * n] + [len(s) for s in per_chunk])
    return ChunkVectors(vectors[:n], [vectors[a:b] for a, b in itertools.pairwise(bounds)], vectors[n : 2 * n])
