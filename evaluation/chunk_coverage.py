"""How well chunking keeps gold evidence together: ``python -m evaluation.chunk_coverage``.

A question is covered when one chunk is relevant to it by the data set's rule
(`evaluation.relevance.is_relevant`: contains one evidence string, or 70% of one). Retrieval
can only find what chunking kept in one piece, so this bounds recall before any index exists.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evaluation.relevance import is_relevant, longest_shared_run, normalize_for_match
from indexer.records import Chunk

DEFAULT_CORPUS = Path(__file__).resolve().parent.parent / "corpus" / "qinghai_gazette_2017.txt"
DEFAULT_GOLD = Path(__file__).resolve().parent / "data" / "seed_dev.jsonl"


@dataclass
class CoverageReport:
    n_chunks: int
    median_chars: float
    max_chars: int
    n_answerable: int
    covered: list[str] = field(default_factory=list)
    all_evidence_in_one: list[str] = field(default_factory=list)
    misses: list[dict[str, Any]] = field(default_factory=list)
    split: list[dict[str, Any]] = field(default_factory=list)

    @property
    def coverage(self) -> float:
        return len(self.covered) / self.n_answerable if self.n_answerable else 0.0

    @property
    def strict_coverage(self) -> float:
        return len(self.all_evidence_in_one) / self.n_answerable if self.n_answerable else 0.0


def load_questions(path: str | Path) -> list[dict[str, Any]]:
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def chunk_coverage(chunks: Sequence[Chunk], questions: Iterable[dict[str, Any]]) -> CoverageReport:
    """Share of answerable questions with a relevant chunk, plus why each miss is missed."""
    lengths = [len(chunk.text) for chunk in chunks]
    texts = [normalize_for_match(chunk.text) for chunk in chunks]
    answerable = [q for q in questions if q.get("answerable", True) and q.get("evidence")]
    report = CoverageReport(
        n_chunks=len(chunks),
        median_chars=statistics.median(lengths) if lengths else 0.0,
        max_chars=max(lengths, default=0),
        n_answerable=len(answerable),
    )
    for question in answerable:
        evidence = [normalize_for_match(e) for e in question["evidence"]]
        if any(all(e in text for e in evidence) for text in texts):
            report.all_evidence_in_one.append(question["id"])
        elif all(any(e in text for text in texts) for e in evidence):
            report.split.append(_where(question, chunks, texts, evidence))
        if any(e in text for text in texts for e in evidence) or any(
            is_relevant(chunk.text, question["evidence"]) for chunk in chunks
        ):
            report.covered.append(question["id"])
        else:
            report.misses.append(_explain(question, chunks, texts))
    return report


def _where(question: dict[str, Any], chunks: Sequence[Chunk], texts: list[str], evidence: list[str]) -> dict[str, Any]:
    """Which documents hold the evidence strings of a question that no single chunk holds."""
    docs = [sorted({chunks[i].doc_number or chunks[i].doc_title for i, t in enumerate(texts) if e in t})
            for e in evidence]
    return {"id": question["id"], "question": question["question"], "documents": docs}


def _explain(question: dict[str, Any], chunks: Sequence[Chunk], texts: list[str]) -> dict[str, Any]:
    parts = []
    for raw in question["evidence"]:
        evidence = normalize_for_match(raw)
        best = max(range(len(chunks)), key=lambda i: longest_shared_run(evidence, texts[i]), default=None)
        share = longest_shared_run(evidence, texts[best]) / len(evidence) if best is not None and evidence else 0.0
        parts.append({"evidence": raw, "best_chunk": chunks[best].chunk_id if best is not None else None,
                      "best_share": round(share, 2)})
    return {"id": question["id"], "question": question["question"], "evidence": parts}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evaluation.chunk_coverage", description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", default=[str(DEFAULT_CORPUS)], help="corpus files (default: the gazette)")
    parser.add_argument("--gold", default=str(DEFAULT_GOLD), help="gold questions (JSONL)")
    parser.add_argument("--max-chars", type=int, default=None)
    parser.add_argument("--min-chars", type=int, default=None)
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    args = parser.parse_args(argv)

    from indexer.ingest.pipeline import ingest

    result = ingest(args.paths, max_chars=args.max_chars, min_chars=args.min_chars)
    for error in result.errors:
        print(f"error: {error.source}: {error.message}", file=sys.stderr)
    report = chunk_coverage(result.chunks, load_questions(args.gold))
    if args.json:
        print(json.dumps({**report.__dict__, "coverage": report.coverage, "strict_coverage": report.strict_coverage},
                         ensure_ascii=False, indent=2))
        return 1 if result.errors else 0
    counts = result.chunk_counts()
    for doc in result.documents:
        print(f"{doc.doc_number or '-':<16} {doc.date:<10} {counts[doc.doc_id]:>4} chunks  {doc.title}")
    print(f"chunks: {report.n_chunks}   median length: {report.median_chars:.0f}   max length: {report.max_chars}")
    print(f"answerable questions with their evidence inside one chunk: {len(report.covered)}/{report.n_answerable}"
          f" = {report.coverage:.1%}")
    print(f"  ... with every evidence string inside one chunk: {len(report.all_evidence_in_one)}/"
          f"{report.n_answerable} = {report.strict_coverage:.1%}")
    for item in report.split:
        places = " | ".join("/".join(docs) for docs in item["documents"])
        reason = "evidence in different documents" if len({tuple(d) for d in item["documents"]}) > 1 else "split"
        print(f"  not in one chunk {item['id']} ({reason}: {places}): {item['question']}")
    for miss in report.misses:
        print(f"miss {miss['id']}: {miss['question']}")
        for part in miss["evidence"]:
            print(f"    {part['best_share']:.0%} of {part['evidence']!r} in {part['best_chunk']}")
    return 1 if result.errors else 0


if __name__ == "__main__":
    sys.exit(main())
