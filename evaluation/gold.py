"""Readers for evaluation sets: gold-evidence JSONL and BEIR-style folders."""

from __future__ import annotations

import csv
import gzip
import json
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class GoldQuestion:
    """One line of a gold-evidence set (format in evaluation/data/README.md)."""

    id: str
    question: str
    answer: str
    evidence: list[str]
    doc: str
    type: str
    answerable: bool


def read_gold(path: Path) -> list[GoldQuestion]:
    questions = []
    for n, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            d = json.loads(line)
            questions.append(GoldQuestion(
                id=str(d["id"]), question=d["question"], answer=d.get("answer", ""),
                evidence=list(d.get("evidence", [])), doc=d.get("doc", ""), type=d.get("type", ""),
                answerable=bool(d.get("answerable", True)),
            ))
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"{path}:{n}: not a gold question ({exc})") from None
    return questions


@dataclass
class BeirSet:
    corpus: dict[str, dict]
    queries: dict[str, str]
    qrels: dict[str, dict[str, int]] = field(default_factory=dict)


def _open_text(path: Path):
    return gzip.open(path, "rt", encoding="utf-8") if path.suffix == ".gz" else open(path, encoding="utf-8")


def _find(folder: Path, stem: str, suffixes: tuple[str, ...]) -> Path:
    for candidate in sorted(folder.iterdir()):
        if candidate.name.startswith(stem) and candidate.name.endswith(suffixes):
            return candidate
    raise FileNotFoundError(f"{folder}: no {stem}*{'|'.join(suffixes)} file")


def read_beir(folder: Path) -> BeirSet:
    """corpus*.jsonl[.gz] ({_id,title,text,...}), queries*.jsonl ({_id,text}), qrels*.tsv."""
    folder = Path(folder)
    corpus = {}
    with _open_text(_find(folder, "corpus", (".jsonl", ".jsonl.gz"))) as fh:
        for line in fh:
            if line.strip():
                d = json.loads(line)
                corpus[str(d["_id"])] = d
    queries = {}
    with _open_text(_find(folder, "queries", (".jsonl", ".jsonl.gz"))) as fh:
        for line in fh:
            if line.strip():
                d = json.loads(line)
                queries[str(d["_id"])] = d["text"]
    qrels: dict[str, dict[str, int]] = {}
    with open(_find(folder, "qrels", (".tsv",)), encoding="utf-8") as fh:
        reader = csv.reader(fh, delimiter="\t")
        for row in reader:
            if len(row) < 3 or not row[2].strip().lstrip("-").isdigit():
                continue  # header
            qrels.setdefault(row[0], {})[row[1]] = int(row[2])
    return BeirSet(corpus, {q: t for q, t in queries.items() if q in qrels}, qrels)
