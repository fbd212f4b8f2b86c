"""Wiring: the encoder, optional reranker and index a process needs, from the settings."""

from __future__ import annotations

from pathlib import Path

from config import Settings
from indexer.local_index import LocalIndex
from indexer.reranker import CrossEncoderReranker
from models.encoder import Encoder, load_encoder


def encoder_from_settings(settings: Settings) -> Encoder:
    return load_encoder(settings.encoder, settings.model_dir, settings.encoder_threads, settings.encoder_batch_size)


def reranker_from_settings(settings: Settings) -> CrossEncoderReranker | None:
    return CrossEncoderReranker(settings.reranker_dir) if settings.reranker_dir else None


def open_index(settings: Settings, index_dir: Path | None = None, encoder: Encoder | None = None) -> LocalIndex:
    encoder = encoder or encoder_from_settings(settings)
    return LocalIndex.open(index_dir or settings.index_dir, settings, encoder, reranker_from_settings(settings))


def new_index(settings: Settings, index_dir: Path | None = None, encoder: Encoder | None = None) -> LocalIndex:
    encoder = encoder or encoder_from_settings(settings)
    return LocalIndex(index_dir or settings.index_dir, settings, encoder, reranker_from_settings(settings))
