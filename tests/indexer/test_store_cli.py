"""`rebuild`, `rollback` and `build --if-missing` against the document store, through the real CLI."""

import json
from dataclasses import replace

import pytest

from indexer.backends.factory import BackendUnavailable
from tests.indexer_cli import run_indexer

pytestmark = pytest.mark.slow

NOTE = "关于农村公路养护的通知\n\n一、养护资金\n\n农村公路养护资金每公里每年补助一万二千元。\n"


def _documents(index_dir):
    lines = (index_dir / "documents.jsonl").read_text(encoding="utf-8").split("\n")
    return {d["doc_id"]: d for d in map(json.loads, filter(None, lines))}


def _chunk_ids(index_dir):
    lines = (index_dir / "chunks.jsonl").read_text(encoding="utf-8").split("\n")
    return sorted(json.loads(line)["chunk_id"] for line in lines if line)


@pytest.fixture()
def note(tmp_path):
    path = tmp_path / "incoming" / "road_note.txt"
    path.parent.mkdir()
    path.write_text(NOTE, encoding="utf-8")
    return path


def test_rebuild_repairs_a_damaged_index_keeping_adds_and_removals(stored_index, note):
    env, index = stored_index.env, stored_index.index_dir
    assert run_indexer(env, "add", str(note), "--index", str(index)).returncode == 0
    removed = next(d for d, doc in _documents(index).items() if doc["doc_number"] == "青政办〔2017〕13号")
    assert run_indexer(env, "remove", removed, "--index", str(index)).returncode == 0
    note.unlink()  # the original is gone from where it was added; the store still has it
    expected_docs, expected_chunks = _documents(index), _chunk_ids(index)
    assert any(d["source"] == str(note) for d in expected_docs.values()) and removed not in expected_docs

    with open(index / "chunks.jsonl", "a", encoding="utf-8") as fh:  # damage the served version
        fh.write('{"chunk_id": "garbage"}\n')
    with pytest.raises(BackendUnavailable, match=r"damaged.*python -m indexer rebuild"):
        stored_index.site.open()

    rebuilt = run_indexer(env, "rebuild", "--index", str(index))
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert "rebuilt from 2 stored originals: 7 documents" in rebuilt.stderr
    assert _documents(index) == expected_docs and _chunk_ids(index) == expected_chunks
    hits = stored_index.site.open().search("农村公路养护资金每公里补助多少", top_k=1).hits
    assert "一万二千元" in hits[0].chunk.text


def test_build_if_missing_refuses_a_broken_manifest_and_repairs_from_the_store(stored_index, note):
    env, index = stored_index.env, stored_index.index_dir
    assert run_indexer(env, "add", str(note), "--index", str(index)).returncode == 0
    manifest = index / "manifest.json"
    manifest.write_text(manifest.read_text().replace('"files": {', '"files": null, "x": {'))
    repaired = run_indexer(env, "build", "--if-missing", "--index", str(index))
    assert repaired.returncode == 0, repaired.stderr
    assert "not usable" in repaired.stderr and "repairing" in repaired.stderr and "Traceback" not in repaired.stderr
    assert len(_documents(index)) == 8  # the gazette's 7 and the added note, not a corpus-only build


def test_rollback_serves_the_previous_version_and_rebuild_does_not_bring_it_back(stored_index, note):
    env, index = stored_index.env, stored_index.index_dir
    before = _documents(index)
    assert run_indexer(env, "add", str(note), "--index", str(index)).returncode == 0
    assert len(_documents(index)) == len(before) + 1
    back = run_indexer(env, "rollback", "--index", str(index))
    assert back.returncode == 0 and "v000002 -> v000001" in back.stderr
    assert _documents(index) == before
    assert stored_index.site.store.plan()[-1].op == "build"  # the add was voided with the rollback
    with stored_index.site.writer.lock():
        stored_index.site.rebuild()
    assert _documents(index) == before
    again = run_indexer(env, "rollback", "--index", str(index))  # from the rebuild (v000003); v000002 was set aside
    assert again.returncode == 0 and "v000003 -> v000001" in again.stderr
    nothing = run_indexer(env, "rollback", "--index", str(index))
    assert nothing.returncode == 1 and nothing.stderr.startswith("error: ") and "no earlier" in nothing.stderr


def test_rebuild_keeps_metadata_changes_made_after_the_ingest(stored_index):
    site = stored_index.site
    with site.writer.lock():
        index = site.open()
        doc = next(d for d in index.list_documents() if d.doc_number == "青政办〔2017〕13号")
        site.writer.update_documents(index, [replace(doc, status="已废止", visibility=["staff"])], origin="api")
        site.rebuild()
    rebuilt = site.open().document(doc.doc_id)
    assert (rebuilt.status, rebuilt.visibility, rebuilt.text) == ("已废止", ["staff"], doc.text)
