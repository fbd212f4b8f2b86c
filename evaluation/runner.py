"""Evaluation runs: one data set, several search modes side by side, in-process or over HTTP.

A run searches through a *searcher* (`evaluation.retrieval_eval.Searcher`) and, for
gold-evidence sets, asks through an *asker*; both exist in two forms, one calling a
loaded index backend (local or Milvus, from the settings) and one calling a running service with httpx, so the same
numbers come out of either. Every expected failure (missing file or index, service
down, mode not configured) is raised as `RunError` with a one-line message.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from config import Settings
from evaluation.answer_eval import AskOutcome, citations_as_dicts, summarize_ask
from evaluation.beir_eval import BeirModeReport, BuildInfo, beir_index, evaluate_beir_mode
from evaluation.gold import BeirSet, GoldQuestion, read_beir, read_gold
from evaluation.metrics import percentile
from evaluation.retrieval_eval import ModeReport, Searcher, evaluate_mode
from indexer.backends.base import BackendUnavailable, IndexBackend
from indexer.backends.factory import where
from indexer.retrieval.reranker import RerankerLoadError
from indexer.retrieval.retriever import SEARCH_MODES
from models.manifest import ModelFolderError

log = logging.getLogger(__name__)

RERANK = "rerank"
ALL_MODES = (*SEARCH_MODES, RERANK)
DEFAULT_MODES = ("bm25", "dense", "hybrid")
HTTP_MAX_TOP_K = 50  # SearchRequest.top_k's upper bound
HTTP_MAX_QUERY_CHARS = 1000  # schemas.MAX_QUESTION_CHARS
ASK_TOP_K = 5  # AskRequest.top_k's default

# An asker takes (question, top_k) and returns (answer, answerable, citations as dicts).
Asker = Callable[[str, int], tuple[str, bool, list[dict[str, Any]]]]


class RunError(RuntimeError):
    """An expected failure, reported as one ``error: ...`` line."""


def parse_modes(text: str) -> list[str]:
    modes = [m.strip() for m in text.split(",") if m.strip()]
    unknown = [m for m in modes if m not in ALL_MODES]
    if unknown or not modes:
        raise RunError(f"unknown mode {(unknown or [text])[0]!r}; choose from {', '.join(ALL_MODES)}")
    return list(dict.fromkeys(modes))


# ---- targets ----------------------------------------------------------------------
@dataclass
class Target:
    """Where searches go: a loaded index (``index``) or a service (``url``)."""

    description: str
    searcher: Searcher
    asker: Asker | None
    info: dict[str, Any] = field(default_factory=dict)
    index: IndexBackend | None = None
    close: Callable[[], None] = lambda: None


def inprocess_searcher(index: IndexBackend, reranked: IndexBackend | None = None) -> Searcher:
    def search(question: str, mode: str, top_k: int) -> tuple[list[dict], bool]:
        target = index
        if mode == RERANK:
            if reranked is None:
                raise RunError("mode rerank needs a cross-encoder: set RERANKER_DIR")
            target, mode = reranked, "hybrid"
        result = target.search(question, top_k, mode)
        return [h.to_dict() for h in result.hits], result.confident

    return search


def inprocess_asker(index: IndexBackend, settings: Settings) -> Asker:
    from service.answering import Answerer

    answerer = Answerer(settings)

    def ask(question: str, top_k: int) -> tuple[str, bool, list[dict[str, Any]]]:
        answer = answerer.answer(index, question, top_k, filters=None)
        return answer.answer, answer.answerable, citations_as_dicts(answer.citations)

    return ask


def http_searcher(client, url: str) -> Searcher:
    def search(question: str, mode: str, top_k: int) -> tuple[list[dict], bool]:
        if mode == RERANK:
            raise RunError("mode rerank is in-process only; a service reranks every mode when RERANKER_DIR is set")
        body = {"query": question[:HTTP_MAX_QUERY_CHARS], "top_k": min(top_k, HTTP_MAX_TOP_K), "mode": mode}
        data = _post(client, f"{url}/v1/search", body)
        return data["results"], bool(data["confident"])

    return search


def http_asker(client, url: str) -> Asker:
    def ask(question: str, top_k: int) -> tuple[str, bool, list[dict[str, Any]]]:
        data = _post(client, f"{url}/v1/ask", {"question": question[:HTTP_MAX_QUERY_CHARS], "top_k": top_k})
        return data["answer"], bool(data["answerable"]), data["citations"]

    return ask


def _post(client, url: str, body: dict[str, Any]) -> dict[str, Any]:
    import httpx

    try:
        response = client.post(url, json=body)
    except httpx.HTTPError as exc:
        raise RunError(f"{url}: request failed ({exc.__class__.__name__}: {exc})") from None
    if response.status_code != 200:
        raise RunError(f"{url}: HTTP {response.status_code}: {response.text[:300]}")
    return response.json()


def open_local(index_dir: Path, settings: Settings, modes: Sequence[str], encoder=None) -> Target:
    """Load an index folder (and, for mode ``rerank``, the configured cross-encoder)."""
    from indexer.backends.factory import encoder_from_settings, open_backend

    try:
        encoder = encoder or encoder_from_settings(settings)
        index = open_backend(settings.model_copy(update={"reranker_dir": None}), index_dir, encoder)
        reranked = _reranked_view(index, settings) if RERANK in modes else None
    except (BackendUnavailable, ModelFolderError, RerankerLoadError) as exc:
        raise RunError(str(exc)) from None
    return _local_target(index, reranked, settings, where(settings, index_dir))


def _reranked_view(index: IndexBackend, settings: Settings) -> IndexBackend:
    from indexer.backends.factory import reranker_from_settings

    reranker = reranker_from_settings(settings)
    if reranker is None:
        raise RunError("mode rerank needs a cross-encoder: set RERANKER_DIR")
    return index.with_reranker(reranker)


def _local_target(index: IndexBackend, reranked: IndexBackend | None, settings: Settings, where: str) -> Target:
    s = settings
    stats = index.stats()
    info = {
        "target": "in-process", "index": where, "backend": stats["backend"], "encoder": stats["encoder"],
        "documents": stats["documents"], "chunks": stats["chunks"], "fusion": s.fusion,
        "weights": [s.bm25_weight, s.dense_weight],
        "rrf_k": s.rrf_k, "candidate_k": s.candidate_k, "reranker": str(s.reranker_dir or ""),
    }
    return Target(f"index {where}", inprocess_searcher(index, reranked), inprocess_asker(reranked or index, settings),
                  info, index)


def connect(url: str, timeout: float = 60.0) -> Target:
    """Check that the service at ``url`` is ready and build its searcher and asker."""
    import httpx

    url = url.rstrip("/")
    if not url.startswith(("http://", "https://")):
        raise RunError(f"--url must start with http:// or https://, got {url!r}")
    client = httpx.Client(timeout=timeout)
    try:
        response = client.get(f"{url}/readyz")
    except httpx.HTTPError as exc:
        client.close()
        raise RunError(f"cannot reach {url} ({exc.__class__.__name__}: {exc})") from None
    if response.status_code != 200:
        client.close()
        raise RunError(f"{url} is not ready (HTTP {response.status_code}: {response.text[:200]})")
    ready = response.json()
    info = {"target": "http", "url": url, "encoder": ready.get("encoder", ""), "documents": ready.get("documents"),
            "chunks": ready.get("chunks")}
    return Target(url, http_searcher(client, url), http_asker(client, url), info, close=client.close)


# ---- gold-evidence runs -------------------------------------------------------------
@dataclass
class GoldRun:
    dataset: str
    target: dict[str, Any]
    modes: list[ModeReport]
    ask: list[AskOutcome] | None
    ask_metrics: dict[str, float] = field(default_factory=dict)
    questions: list[GoldQuestion] = field(default_factory=list)
    created: str = field(default_factory=lambda: time.strftime("%Y-%m-%d %H:%M:%S"))


def load_gold(path: Path) -> list[GoldQuestion]:
    try:
        questions = read_gold(path)
    except OSError as exc:
        raise RunError(f"{path}: cannot read ({exc.strerror or exc})") from None
    except ValueError as exc:
        raise RunError(str(exc)) from None
    if not questions:
        raise RunError(f"{path}: no questions")
    return questions


def run_gold(
    questions: list[GoldQuestion], target: Target, modes: Sequence[str], dataset: str, top_k: int = 10,
    ask: bool = True, ask_top_k: int = ASK_TOP_K,
) -> GoldRun:
    reports = []
    for mode in modes:
        started = time.perf_counter()
        report = evaluate_mode(target.searcher, questions, mode, top_k)
        report.metrics |= {"p50_ms": percentile(report.latencies_ms, 50), "p95_ms": percentile(report.latencies_ms, 95)}
        log.info("%s: %d questions in %.1f s", mode, len(questions), time.perf_counter() - started)
        reports.append(report)
    outcomes = None
    ask_metrics: dict[str, float] = {}
    if ask and target.asker is not None:
        outcomes = [_ask_one(target.asker, q, ask_top_k) for q in questions]
        ask_metrics = summarize_ask(outcomes)
        seconds = [o.seconds * 1000 for o in outcomes]
        ask_metrics |= {"p50_ms": percentile(seconds, 50), "p95_ms": percentile(seconds, 95)}
    return GoldRun(dataset, target.info, reports, outcomes, ask_metrics, questions)


def _ask_one(asker: Asker, q: GoldQuestion, top_k: int) -> AskOutcome:
    started = time.perf_counter()
    answer, answerable, citations = asker(q.question, top_k)
    return AskOutcome(q.id, q.question, q.answer, q.answerable, answer, answerable, citations,
                      time.perf_counter() - started)


# ---- BEIR runs ------------------------------------------------------------------------
@dataclass
class BeirRun:
    dataset: str
    target: dict[str, Any]
    modes: list[BeirModeReport]
    beir: BeirSet
    build: BuildInfo | None = None
    created: str = field(default_factory=lambda: time.strftime("%Y-%m-%d %H:%M:%S"))


def load_beir(folder: Path) -> BeirSet:
    if not Path(folder).is_dir():
        raise RunError(f"{folder}: not a folder (expected corpus*.jsonl[.gz], queries*.jsonl, qrels*.tsv)")
    try:
        beir = read_beir(folder)
    except (OSError, ValueError, KeyError) as exc:
        raise RunError(f"{folder}: cannot read the BEIR set ({exc})") from None
    if not beir.queries:
        raise RunError(f"{folder}: no query has qrels")
    return beir


def open_beir_local(
    beir: BeirSet, index_dir: Path, settings: Settings, modes: Sequence[str], rebuild: bool, show_progress: bool
) -> tuple[Target, BuildInfo]:
    from indexer.backends.factory import encoder_from_settings

    if settings.index_backend == "milvus":  # one collection per data set, beside the service's own
        collection = "beir_" + re.sub(r"[^A-Za-z0-9_]", "_", index_dir.name)
        settings = settings.model_copy(update={"milvus_collection": collection})
    try:
        encoder = encoder_from_settings(settings)
        index, info = beir_index(beir, index_dir, settings, encoder, rebuild=rebuild, show_progress=show_progress)
        reranked = _reranked_view(index, settings) if RERANK in modes else None
    except (BackendUnavailable, ModelFolderError, RerankerLoadError) as exc:
        raise RunError(str(exc)) from None
    return _local_target(index, reranked, settings, where(settings, index_dir)), info


def run_beir(
    beir: BeirSet, target: Target, modes: Sequence[str], dataset: str, top_k: int = 100, limit: int | None = None,
    build: BuildInfo | None = None, show_progress: bool = False,
) -> BeirRun:
    if target.info.get("target") == "http" and top_k > HTTP_MAX_TOP_K:
        log.warning("the service returns at most %d results; R@100 is not measured over HTTP", HTTP_MAX_TOP_K)
        top_k = HTTP_MAX_TOP_K
    reports = [evaluate_beir_mode(target.searcher, beir, mode, top_k, limit, show_progress) for mode in modes]
    return BeirRun(dataset, target.info, reports, beir, build)
