"""Faults while writing: kill -9 of a real `python -m indexer add`, and a full disk.

Each test checks the same three things: the previous index is still served (by a running service
and on disk), the document store is intact, and the next writer succeeds at once.
"""

import errno
import os
import signal
import subprocess
import time

import faiss
import pytest
from fastapi.testclient import TestClient

from indexer.backends import versions
from indexer.backends.factory import IndexSite
from service.app import create_app
from tests.indexer_cli import run_indexer, write_note

pytestmark = pytest.mark.slow

ADMIN = {"X-API-Key": "test-admin-key"}
NOTE = "关于农村公路养护的通知\n\n一、养护资金\n\n农村公路养护资金每公里每年补助一万二千元。\n"
OTHER = "关于冬季供暖保障的通知\n\n一、补贴标准\n\n城镇低收入家庭冬季取暖补贴每户每年一千二百元。\n"


def _doc_ids(client):
    return sorted(d["doc_id"] for d in client.get("/v1/documents").json())


def _leftovers(index_dir):
    return [p.name for p in versions.versions_dir(index_dir).iterdir() if p.name.startswith(versions.BUILDING_PREFIX)]


@pytest.mark.parametrize("point", ["write", "publish"])
def test_kill_9_mid_add_leaves_the_previous_index_serving_and_the_store_intact(stored_index, tmp_path, paused_cli,
                                                                               point):
    site, index = stored_index.site, stored_index.index_dir
    settings = stored_index.settings.model_copy(update={"index_poll_seconds": 0.1})
    with TestClient(create_app(settings)) as client:
        before, version = _doc_ids(client), site.published_version()
        road = write_note(tmp_path, "road.txt", NOTE)
        cli = paused_cli(stored_index.env, point, "add", str(road), "--index", str(index))
        if point == "publish":  # the new version is complete and renamed, the link not yet swapped
            assert (versions.versions_dir(index) / "v000002" / "manifest.json").is_file()
        killed_seq = site.store.head()
        os.kill(cli.pid, signal.SIGKILL)
        assert cli.wait(timeout=30) == -signal.SIGKILL
        time.sleep(0.5)  # several polling rounds of the service
        assert client.get("/readyz").status_code == 200 and _doc_ids(client) == before
        assert site.published_version() == version and len(site.open().list_documents()) == len(before)
        assert site.store.verify() == [] and site.store.events()[-1].seq == killed_seq  # journal and originals
        assert site.store.live_after(site.published_seq()) == [killed_seq]  # recorded, never published

        # the next writer gets the lock at once (the kernel dropped it), voids the dead add and cleans up
        started = time.monotonic()
        assert run_indexer(stored_index.env, "add", str(write_note(tmp_path, "heating.txt", OTHER)), "--index",
                    str(index)).returncode == 0
        assert time.monotonic() - started < 120
        assert killed_seq not in [e.seq for e in site.store.plan()] and site.store.verify() == []
        assert _leftovers(index) == [] and site.published_version() == "v000002"
        served = site.open().list_documents()
        assert len(served) == len(before) + 1 and all(d.source != str(tmp_path / "road.txt") for d in served)


def _mount_tmpfs(path, size):
    path.mkdir()
    result = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)], capture_output=True)
    if result.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({result.stderr.decode().strip()}); the patched-write test covers it")


def test_a_full_disk_leaves_the_served_index_untouched_with_a_clear_error(tmp_path, stored_index, onnx_encoder):
    disk = tmp_path / "disk"
    _mount_tmpfs(disk, "8m")
    try:
        settings = stored_index.settings.model_copy(update={"index_dir": disk / "idx", "index_poll_seconds": 0.1})
        env = {**stored_index.env, "INDEX_DIR": str(settings.index_dir)}
        # the index, on the small disk
        assert run_indexer(env, "rebuild", "--index", str(settings.index_dir)).returncode == 0
        filler = disk / "filler"
        with open(filler, "wb") as fh:  # leave ~64 KB free: less than one version of the index
            fh.write(b"\0" * (os.statvfs(disk).f_bavail * os.statvfs(disk).f_frsize - 64 * 1024))
        site = IndexSite(settings, encoder=onnx_encoder)
        version, head = site.published_version(), site.store.head()

        full = run_indexer(env, "add", str(write_note(tmp_path, "road.txt", NOTE)), "--index", str(settings.index_dir))
        assert full.returncode == 1 and "Traceback" not in full.stderr
        assert "no space left on device" in full.stderr and "unchanged" in full.stderr
        assert site.published_version() == version and site.open().manifest.doc_count == 7
        assert _leftovers(settings.index_dir) == [] and site.store.live_after(head) == []  # the add was voided

        with TestClient(create_app(settings)) as client:
            response = client.post("/v1/documents", files={"files": ("heating.txt", OTHER.encode(), "text/plain")},
                                   headers=ADMIN)
            assert response.status_code == 507 and "no space left on device" in response.json()["detail"]
            assert client.get("/readyz").json()["documents"] == 7
            filler.unlink()  # space again: the next write works
            assert client.post("/v1/documents", files={"files": ("heating.txt", OTHER.encode(), "text/plain")},
                               headers=ADMIN).status_code == 201
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=False)


def test_a_failing_write_leaves_the_served_index_untouched(stored_index, monkeypatch):
    """The same without root: faiss's write raises ENOSPC, as it would on a full disk."""

    def full_disk(*_args):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    settings = stored_index.settings
    with TestClient(create_app(settings)) as client:
        version, head = stored_index.site.published_version(), stored_index.site.store.head()
        monkeypatch.setattr(faiss, "write_index", full_disk)
        response = client.post("/v1/documents", files={"files": ("heating.txt", OTHER.encode(), "text/plain")},
                               headers=ADMIN)
        assert response.status_code == 507 and "no space left on device" in response.json()["detail"]
        assert client.get("/readyz").json()["documents"] == 7 and len(client.get("/v1/documents").json()) == 7
    assert stored_index.site.published_version() == version and _leftovers(stored_index.index_dir) == []
    assert stored_index.site.store.live_after(head) == [] and stored_index.site.store.verify() == []
