"""Case 9 of issue 12: document ids stay unique; sources carry the names given, not temporary paths."""

from __future__ import annotations

import json
from pathlib import Path

from indexer.ingest.pipeline import ingest, merge_results, unique_id

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


def test_suffixes_never_collide_with_an_existing_id() -> None:
    taken: set[str] = set()
    assert [unique_id(i, taken) for i in ["a-2", "a", "a", "a", "a-3"]] == ["a-2", "a", "a-3", "a-4", "a-3-2"]


def test_bulk_records_with_colliding_ids_all_get_distinct_ids(tmp_path: Path) -> None:
    path = tmp_path / "bulk.jsonl"
    records = [{"id": i, "text": f"第{n}条记录的正文，内容各不相同。" * 5} for n, i in enumerate(["a-2", "a", "a"])]
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in records), encoding="utf-8")
    result = ingest([path])
    ids = [d.doc_id for d in result.documents]
    assert ids == ["a-2", "a", "a-3"]
    assert {c.doc_id for c in result.chunks} == set(ids)
    assert all(c.chunk_id.startswith(c.doc_id + "_") for c in result.chunks)


def test_merging_per_file_results_renames_documents_and_their_chunks(tmp_path: Path) -> None:
    first = ingest([FIXTURES / "policy_clean.txt"])
    second = ingest([FIXTURES / "policy_clean.txt"])  # the same file twice: the same ids
    merged = merge_results([first, second])
    ids = [d.doc_id for d in merged.documents]
    assert len(ids) == len(set(ids)) == 2 * len(first.documents)
    chunk_ids = [c.chunk_id for c in merged.chunks]
    assert len(chunk_ids) == len(set(chunk_ids))
    assert all(c.chunk_id.startswith(c.doc_id + "_") for c in merged.chunks)
    assert {c.doc_id for c in merged.chunks} == set(ids)


def test_sources_carry_the_given_names(tmp_path: Path) -> None:
    saved = tmp_path / "0001.jsonl"
    saved.write_bytes((FIXTURES / "bulk.jsonl").read_bytes())
    bad = tmp_path / "0002.txt"
    bad.write_bytes(b"")
    names = {str(saved): "春运.jsonl", str(bad): "empty.txt"}
    result = ingest([saved, bad], names=names)
    assert result.documents and all(d.source.startswith("春运.jsonl#") for d in result.documents)
    assert [e.source for e in result.errors if e.source.startswith("empty")] == ["empty.txt"]
    assert not any(str(tmp_path) in e.source for e in result.errors)
