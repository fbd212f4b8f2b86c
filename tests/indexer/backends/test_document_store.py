"""The document store on its own: originals by checksum, the journal, the replay plan, damage found."""

import pytest

from indexer.backends.document_store import DocumentStore, StoreError


@pytest.fixture()
def store(tmp_path):
    return DocumentStore(tmp_path / "store")


def _original(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_originals_are_kept_once_by_checksum(store, tmp_path):
    first = store.put(_original(tmp_path, "a.txt", "关于农村公路的通知"), "corpus/a.txt")
    again = store.put(_original(tmp_path, "b.txt", "关于农村公路的通知"), "b.txt")
    assert first.sha256 == again.sha256 and first.name == "a.txt" and again.name == "b.txt"
    assert store.object_path(first.sha256).read_text(encoding="utf-8") == "关于农村公路的通知"
    assert len(list((store.root / "objects").rglob("*"))) == 2  # one sub-folder, one object


def test_the_plan_starts_at_the_last_build_and_skips_voided_events(store, tmp_path):
    a = store.put(_original(tmp_path, "a.txt", "甲"), "a.txt")
    b = store.put(_original(tmp_path, "b.txt", "乙"), "b.txt")
    store.append("build", origin="build", files=[a], doc_ids=["a"])
    store.append("add", origin="cli", files=[b], doc_ids=["b"])
    rebuilt = store.append("build", origin="build", files=[a], doc_ids=["a"])
    added = store.append("add", origin="api", files=[b], doc_ids=["b"])
    removed = store.append("remove", origin="api", doc_ids=["a"])
    store.void([removed.seq], "never published")
    assert [e.seq for e in store.plan()] == [rebuilt.seq, added.seq]
    assert store.live_after(rebuilt.seq) == [added.seq]
    assert [e.seq for e in store.plan(upto=2)] == [1, 2]


def test_a_torn_last_line_is_ignored_and_cut_before_the_next_event(store, tmp_path):
    a = store.put(_original(tmp_path, "a.txt", "甲"), "a.txt")
    store.append("build", origin="build", files=[a], doc_ids=["a"])
    with open(store.root / "journal.jsonl", "a", encoding="ascii") as fh:
        fh.write('{"seq": 2, "op": "ad')  # a writer killed mid-append
    assert [e.seq for e in store.events()] == [1]
    store.append("remove", origin="cli", doc_ids=["a"])
    assert [(e.seq, e.op) for e in store.events()] == [(1, "build"), (2, "remove")]


def test_a_damaged_journal_line_is_named(store, tmp_path):
    a = store.put(_original(tmp_path, "a.txt", "甲"), "a.txt")
    store.append("build", origin="build", files=[a], doc_ids=["a"])
    journal = store.root / "journal.jsonl"
    journal.write_text("not json\n" + journal.read_text())
    with pytest.raises(StoreError, match=r"journal.jsonl:1: damaged"):
        store.events()


def test_damaged_or_missing_originals_are_reported(store, tmp_path):
    a = store.put(_original(tmp_path, "a.txt", "甲乙丙"), "a.txt")
    b = store.put(_original(tmp_path, "b.txt", "丁戊"), "b.txt")
    store.append("build", origin="build", files=[a, b], doc_ids=["a", "b"])
    assert store.verify() == []
    store.object_path(a.sha256).write_text("tampered")
    store.object_path(b.sha256).unlink()
    problems = store.verify()
    assert len(problems) == 2 and "damaged" in problems[0] and "missing" in problems[1]
    with pytest.raises(StoreError, match=r"a\.txt is damaged"):
        store.materialize_files([a], tmp_path / "out")


def test_journal_text_is_ascii_so_line_separators_cannot_split_it(store, tmp_path):
    odd = store.put(_original(tmp_path, "odd\u2028name.txt", "x"), "odd\u2028name.txt")
    store.append("build", origin="build", files=[odd], doc_ids=["odd\u2028id"])
    assert (store.root / "journal.jsonl").read_bytes().isascii()
    assert store.events()[0].doc_ids == ["odd\u2028id"]
