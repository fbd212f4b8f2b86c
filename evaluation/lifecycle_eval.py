"""Which version of a rule the answers cite: the revision-chain corpus asked on different dates.

``tests/fixtures/lifecycle/`` holds three revision chains (old measure → revision → repeal,
in the official style); ``evaluation/data/lifecycle_questions.jsonl`` asks questions whose
answer changes with the version, each with an ``as_of`` date (or none = today) and the 文号
in force then (``doc``; ``null`` when none is). The corpus is indexed (with lifecycle links)
in a temporary folder and asked through the HTTP API in-process, once per lifecycle policy.

Reported per policy:
- ``in_force_cited``: share of questions whose first citation is the version in force
  (for ``doc: null``: no citation from that chain at all);
- ``current_cited``: the same over the questions asked without a date (today's rule);
- ``key_in_answer``: the answer contains the figure of the version in force;
- ``notes_on_ended``: share of citations of documents not in force today that carry the note
  (in the citation, and next to its marker when the answer quotes it);
- ``as_of_top``: share of dated questions whose top ``/v1/search`` hit (with ``as_of``) is that version.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from config import Settings
from config.settings import PROJECT_ROOT
from evaluation.answer_eval import strip_markers
from evaluation.relevance import contains_answer

FIXTURES = PROJECT_ROOT / "tests" / "fixtures" / "lifecycle"
QUESTIONS = PROJECT_ROOT / "evaluation" / "data" / "lifecycle_questions.jsonl"
POLICIES = ("hide", "demote", "show")


@dataclass
class PolicyReport:
    policy: str
    questions: int = 0
    in_force_cited: float = 0.0
    current_cited: float = 0.0
    key_in_answer: float = 0.0
    notes_on_ended: float = 1.0
    ended_citations: int = 0
    as_of_top: float = 0.0
    misses: list[dict[str, Any]] = field(default_factory=list)


def load_questions(path: Path = QUESTIONS) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def build_fixture_index(settings: Settings, folder: Path, encoder, corpus: Path = FIXTURES) -> Settings:
    """Index the revision chains (with links) into ``folder``; returns the settings that serve it."""
    from indexer.backends.factory import build_index, ingest_files, new_backend

    settings = settings.model_copy(update={"index_dir": folder / "index", "milvus_uri": str(folder / "milvus.db"),
                                           "feedback_db": folder / "feedback.sqlite"})
    result = ingest_files([corpus], settings)
    if result.errors:
        raise ValueError(f"fixture corpus: {result.errors[0]}")
    build_index(new_backend(settings, encoder=encoder), result.documents, result.chunks, settings.index_dir)
    return settings


def evaluate_policy(client, questions: list[dict[str, Any]], policy: str) -> PolicyReport:
    chains: dict[str, set[str]] = {}
    for q in questions:
        if q["doc"]:
            chains.setdefault(q["chain"], set()).add(q["doc"])
    report = PolicyReport(policy, len(questions))
    hits = current = current_n = keyed = keyed_n = dated_top = dated_n = noted = 0
    for q in questions:
        body = {"question": q["question"], **({"as_of": q["as_of"]} if q["as_of"] else {})}
        answer = client.post("/v1/ask", json=body).json()
        cited = [c["doc_number"] for c in answer["citations"]]
        if q["doc"]:
            ok = bool(cited) and cited[0] == q["doc"] and answer["answerable"]
        else:
            ok = not set(cited) & chains.get(q["chain"], set())
        hits += ok
        if not q["as_of"]:
            current_n += 1
            current += ok
        if q["answer"]:
            keyed_n += 1
            keyed += answer["answerable"] and contains_answer(strip_markers(answer["answer"]), q["answer"])
        for c in answer["citations"]:
            if c["status"] != "现行有效":
                report.ended_citations += 1
                quoted = answer["answerable"] and f"[{c['n']}]" in answer["answer"]
                in_text = not quoted or f"【注：{c['note']}】" in answer["answer"]
                noted += bool(c["note"]) and in_text
        if q["as_of"] and q["doc"]:
            dated_n += 1
            top = client.post("/v1/search", json={"query": q["question"], "as_of": q["as_of"], "top_k": 1}).json()
            dated_top += bool(top["results"]) and top["results"][0]["doc_number"] == q["doc"]
        if not ok:
            report.misses.append({"id": q["id"], "question": q["question"], "as_of": q["as_of"],
                                  "expected": q["doc"], "cited": cited[:3], "answer": answer["answer"][:160]})
    report.in_force_cited = hits / len(questions) if questions else 0.0
    report.current_cited = current / current_n if current_n else 0.0
    report.key_in_answer = keyed / keyed_n if keyed_n else 0.0
    report.notes_on_ended = noted / report.ended_citations if report.ended_citations else 1.0
    report.as_of_top = dated_top / dated_n if dated_n else 0.0
    return report


def run_lifecycle(settings: Settings, encoder=None, policies: tuple[str, ...] = POLICIES,
                  questions_path: Path = QUESTIONS) -> list[PolicyReport]:
    from fastapi.testclient import TestClient

    from indexer.backends.factory import encoder_from_settings
    from service.app import create_app

    questions = load_questions(questions_path)
    encoder = encoder or encoder_from_settings(settings)
    reports = []
    with tempfile.TemporaryDirectory(prefix="lifecycle-") as tmp:
        served = build_fixture_index(settings, Path(tmp), encoder)
        for policy in policies:
            with TestClient(create_app(served.model_copy(update={"lifecycle_policy": policy}))) as client:
                reports.append(evaluate_policy(client, questions, policy))
    return reports


def markdown(reports: list[PolicyReport]) -> str:
    head = ("| policy | questions | version in force cited | current rule cited | figure in answer | "
            "ended citations with note | as_of top hit |")
    lines = [head, "|---|---|---|---|---|---|---|"]
    for r in reports:
        lines.append(f"| {r.policy} | {r.questions} | {r.in_force_cited:.3f} | {r.current_cited:.3f} | "
                     f"{r.key_in_answer:.3f} | {r.notes_on_ended:.3f} ({r.ended_citations}) | {r.as_of_top:.3f} |")
    return "\n".join(lines)
