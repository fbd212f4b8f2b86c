"""One settings object for every package, read from environment variables.

Every variable is documented in the README; names are the field names upper-cased
(``INDEX_DIR``, ``MODEL_DIR``, ...).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=None, extra="ignore", case_sensitive=False)

    # where things live
    corpus_dir: Path = PROJECT_ROOT / "corpus"
    index_dir: Path = PROJECT_ROOT / "var" / "index"
    model_dir: Path = PROJECT_ROOT / "models" / "e5-small"
    embedding_cache_dir: Path = PROJECT_ROOT / "var" / "embedding-cache"
    store_dir: Path = PROJECT_ROOT / "var" / "store"  # every ingested original, for `python -m indexer rebuild`

    # index versions and writers
    index_keep_versions: int = Field(default=3, ge=1)  # published versions kept for rollback
    index_poll_seconds: float = Field(default=1.0, gt=0)  # how often the service looks for a newer index
    writer_lock_timeout_s: float = Field(default=300.0, gt=0)  # how long a writer waits for another one

    # index backend
    index_backend: Literal["local", "milvus"] = "local"
    milvus_uri: str = str(PROJECT_ROOT / "var" / "milvus.db")  # a file = embedded Milvus Lite; http://host:19530
    milvus_token: str = ""  # "user:password" or an API key, for a server
    milvus_collection: str = Field(default="gov_docs", pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,200}$")
    milvus_lexical: Literal["sparse", "milvus-bm25"] = "sparse"
    milvus_refresh_s: float = Field(default=5.0, ge=0)

    # encoder
    encoder: Literal["onnx-int8", "torch"] = "onnx-int8"
    # the encoder's fine-tuned top layers, laid over e5's by `models build` (models.top_layers); none = plain e5
    tuned_layers: Path | None = PROJECT_ROOT / "models" / "data" / "e5_top_layers.safetensors"
    encoder_threads: int = 0  # 0 = all available cores
    encoder_batch_size: int = 8  # = models.encoder.BATCH_SIZE (tests/models/test_encoder_graph.py)
    # answer sentences' vectors: pooled from their chunk's own run (no extra encoding) or encoded one by one
    sentence_vectors: Literal["in-passage", "separate"] = "in-passage"
    index_workers: int = Field(default=1, ge=1, le=64)  # encoder processes of `indexer build`/`rebuild` (--workers)
    # a question-side adapter fitted on one corpus's labelled questions (models.query_adapter); off by default
    query_adapter: Path | None = None

    # chunking
    chunk_max_chars: int = 500
    chunk_min_chars: int = 40

    # what parsing one input file may cost (uploads: in a worker process with these limits)
    max_decompressed_bytes: int = Field(200 * 1024 * 1024, gt=0)
    pdf_max_pages: int = Field(2000, gt=0)
    parse_timeout_s: float = Field(120.0, gt=0)
    parse_memory_bytes: int = Field(2 * 1024**3, gt=0)

    # retrieval
    fusion: Literal["learned", "rrf", "score"] = "learned"
    fusion_model: Path | None = None  # default: the fitted indexer/data/fusion.json
    bm25_weight: float = 1.0
    dense_weight: float = 1.0
    rrf_k: int = 5
    candidate_k: int = 100
    answer_type_boost: float = 0.1
    followup_doc_boost: float = 0.1  # prior for the previous answer's document when a follow-up is completed
    hnsw_threshold: int = 200_000
    # what the dense encoder embeds of a chunk (indexer.retrieval.passage_text.DENSE_TEXTS); an index opens
    # only with the choice it was built with
    dense_text: Literal["title_path_text", "path_text", "heading_text", "text"] = "title_path_text"
    reranker_dir: Path | None = None
    confidence_model: Path | None = None  # default: the calibrated indexer/data/confidence.json
    confidence_threshold: float | None = None  # default: the threshold stored with the model

    # service
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = Field(default=1, ge=1, le=64)  # uvicorn worker processes (they share the mapped model files)
    log_level: str = "INFO"
    cors_origins: list[str] = Field(default_factory=list)
    admin_api_key: SecretStr = SecretStr("")  # read with .get_secret_value(); never printed or logged
    max_upload_bytes: int = Field(20 * 1024 * 1024, ge=1)  # one upload request, all its files together
    max_json_bytes: int = Field(1024 * 1024, ge=1)  # the body of any other request
    compute_threads: int = Field(0, ge=0)  # threads running searches and answers; 0 = one per CPU core

    # policy lifecycle: documents not in force are hidden, ranked last, or shown like the others
    lifecycle_policy: Literal["hide", "demote", "show"] = "hide"

    # access control
    access_token_secret: str = ""  # HS256 key shared with the intranet portal; unset = no bearer tokens
    access_groups_header: str = ""  # e.g. X-Remote-Groups, set by the reverse proxy (comma-separated groups)
    trusted_proxies: list[str] = Field(default_factory=list)  # addresses whose groups header is honoured

    # optional generative answers
    llm_base_url: str = ""
    llm_model: str = ""
    llm_api_key: SecretStr = SecretStr("")
    llm_timeout_s: float = 20.0

    # feedback and the question log
    feedback_db: Path = PROJECT_ROOT / "var" / "feedback.sqlite"
    log_users: bool = False  # store the caller (from a bearer token) with each logged question
    log_retention_days: int = Field(default=90, ge=1)
    @field_validator("query_adapter", "fusion_model", "reranker_dir", "confidence_model", mode="before")
    @classmethod
    def _unset_when_empty(cls, value):
        """``NAME=`` in the environment means "not set" (the default), not the current folder."""
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("tuned_layers", mode="before")
    @classmethod
    def _plain_when_none(cls, value):
        """``TUNED_LAYERS=none`` (or empty) builds plain e5."""
        return None if isinstance(value, str) and value.strip().lower() in ("", "none") else value

    @field_validator("access_token_secret")
    @classmethod
    def _long_enough(cls, value: str) -> str:
        if value and len(value.encode()) < 32:
            raise ValueError(f"ACCESS_TOKEN_SECRET must be at least 32 bytes for HS256, got {len(value.encode())}")
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _addresses(cls, value: list[str]) -> list[str]:
        import ipaddress

        for address in value:
            try:
                ipaddress.ip_address(address)
            except ValueError:
                raise ValueError(f"TRUSTED_PROXIES: {address!r} is not an IP address") from None
        return value


@lru_cache
def get_settings() -> Settings:
    return Settings()
