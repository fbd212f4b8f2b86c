"""Version folders without the model: manifest checks, publishing, pruning, leases, rollback."""

import json
import os
import subprocess
import sys

import pytest

from indexer.backends import versions
from indexer.backends.local_store import (
    INDEX_FORMAT_VERSION,
    IndexLoadError,
    IndexManifest,
    finalize_manifest,
    read_manifest,
)


def _publish(index_dir, label, store_seq=None, keep=3):
    folder = versions.start_version(index_dir)
    (folder / "documents.jsonl").write_text(json.dumps({"label": label}) + "\n")
    manifest = IndexManifest(INDEX_FORMAT_VERSION, "onnx-int8:x", "x", label, 1, 1, "now", 0.1, "flat",
                             store_seq=store_seq)
    finalize_manifest(folder, manifest)
    return versions.publish(index_dir, folder, keep)


def _names(index_dir):
    return sorted(p.name for p in versions.versions_dir(index_dir).iterdir() if p.name != versions.LEASES)


def test_publish_numbers_versions_and_keeps_the_newest_n(tmp_path):
    index = tmp_path / "idx"
    published = [_publish(index, f"c{n}", keep=2) for n in range(4)]
    assert published == ["v000001", "v000002", "v000003", "v000004"]
    assert _names(index) == ["v000003", "v000004"]
    assert os.readlink(index) == os.path.join("idx.versions", "v000004")
    assert read_manifest(index)[1].corpus_fingerprint == "c3"


def test_a_version_served_by_a_live_process_is_never_pruned(tmp_path):
    index = tmp_path / "idx"
    _publish(index, "c0", keep=1)
    server = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        lease = versions.versions_dir(index) / versions.LEASES / str(server.pid)
        lease.parent.mkdir()
        lease.write_text("v000001")  # what a serving process records when it loads a version
        _publish(index, "c1", keep=1)
        _publish(index, "c2", keep=1)
        assert _names(index) == ["v000001", "v000003"]
    finally:
        server.kill()
        server.wait()
    _publish(index, "c3", keep=1)  # the lease of a dead process protects nothing
    assert _names(index) == ["v000004"]


def test_an_abandoned_build_folder_is_cleaned_but_never_one_being_written(tmp_path):
    index = tmp_path / "idx"
    _publish(index, "c0")
    dead = versions.versions_dir(index) / f"{versions.BUILDING_PREFIX}999999999-abc"
    dead.mkdir()
    mine = versions.start_version(index)  # this process is writing it
    _publish(index, "c1")
    assert not dead.exists() and mine.exists()


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda m: m.update(files=None), "'files' is NoneType"),
        (lambda m: m.update(files={}), "'files' is empty"),
        (lambda m: m.pop("encoder"), "missing 'encoder'"),
        (lambda m: m.update(doc_count="7"), "'doc_count' is str"),
    ],
)
def test_a_damaged_manifest_is_a_clear_load_error(tmp_path, damage, message):
    index = tmp_path / "idx"
    _publish(index, "c0")
    path = index.resolve() / "manifest.json"
    raw = json.loads(path.read_text())
    damage(raw)
    path.write_text(json.dumps(raw))
    with pytest.raises(IndexLoadError, match=message) as caught:
        read_manifest(index)
    assert "python -m indexer rebuild" in str(caught.value)


def test_invalid_json_or_a_missing_file_is_a_clear_load_error(tmp_path):
    index = tmp_path / "idx"
    _publish(index, "c0")
    (index.resolve() / "documents.jsonl").unlink()
    with pytest.raises(IndexLoadError, match=r"documents\.jsonl is missing"):
        read_manifest(index)
    (index.resolve() / "manifest.json").write_text("{not json")
    with pytest.raises(IndexLoadError, match="damaged"):
        read_manifest(index)


def test_rollback_serves_the_previous_intact_version(tmp_path):
    index = tmp_path / "idx"
    for n in range(3):
        _publish(index, f"c{n}", store_seq=n + 1)
    (versions.versions_dir(index) / "v000002" / "documents.jsonl").write_text("damaged")
    assert versions.rollback(index) == ("v000003", "v000001", 1)  # v000002 fails its checksum: skipped
    assert read_manifest(index)[1].corpus_fingerprint == "c0"
    assert "rolledback-v000003" in _names(index)
    with pytest.raises(IndexLoadError, match="no earlier intact version"):
        versions.rollback(index)
    assert _publish(index, "c3") == "v000004"  # numbering continues past the set-aside version
    assert "rolledback-v000003" not in _names(index)


def test_a_version_renamed_but_never_published_is_replaced_by_the_next_one(tmp_path):
    index = tmp_path / "idx"
    _publish(index, "c0")
    orphan = versions.start_version(index)
    finalize_manifest(orphan, IndexManifest(INDEX_FORMAT_VERSION, "e", "x", "orphan", 1, 1, "now", 0.1, "flat"))
    orphan.rename(versions.versions_dir(index) / "v000002")  # a writer killed between its rename and the link swap
    assert versions.published(index) == "v000001"
    assert _publish(index, "c1") == "v000002"
    assert read_manifest(index)[1].corpus_fingerprint == "c1"
