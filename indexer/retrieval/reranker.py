"""Optional cross-encoder stage that reorders the fused top hits.

No Chinese cross-encoder can be installed here, so none ships; a deployment that
has one sets ``RERANKER_DIR`` to a local sentence-transformers CrossEncoder
folder. It is loaded with hub access disabled.
"""

from __future__ import annotations

import logging
from pathlib import Path

from indexer.records import Hit
from indexer.retrieval.passage_text import dense_text

log = logging.getLogger(__name__)


class RerankerLoadError(RuntimeError):
    pass


class CrossEncoderReranker:
    def __init__(self, folder: Path, depth: int = 20, batch_size: int = 16) -> None:
        from sentence_transformers import CrossEncoder

        folder = Path(folder)
        if not folder.is_dir():
            raise RerankerLoadError(f"reranker folder {folder} does not exist (RERANKER_DIR)")
        try:
            self.model = CrossEncoder(str(folder), device="cpu", local_files_only=True)
        except Exception as exc:  # transformers raises many error types for a bad folder
            raise RerankerLoadError(f"cannot load the cross-encoder in {folder}: {exc}") from None
        self.depth = depth
        self.batch_size = batch_size

    def rerank(self, query: str, hits: list[Hit]) -> list[Hit]:
        head, tail = hits[: self.depth], hits[self.depth :]
        # the cross-encoder reads each passage with its context, whatever the dense index embeds
        pairs = [(query, dense_text(h.chunk, "title_path_text")) for h in head]
        scores = self.model.predict(pairs, batch_size=self.batch_size, show_progress_bar=False)
        for hit, score in zip(head, scores, strict=True):
            hit.score = float(score)
        return sorted(head, key=lambda h: -h.score) + tail
