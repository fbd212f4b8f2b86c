"""Writers serialize, readers follow: the service and `python -m indexer` on one index and one store."""

import threading
import time

import pytest
from fastapi.testclient import TestClient

from service.app import create_app
from tests.indexer_cli import run_indexer, write_note

pytestmark = pytest.mark.slow

ADMIN = {"X-API-Key": "test-admin-key"}
CLI_NOTE = "关于农村公路养护的通知\n\n一、养护资金\n\n农村公路养护资金每公里每年补助一万二千元。\n"
API_NOTE = "关于冬季供暖保障的通知\n\n一、补贴标准\n\n城镇低收入家庭冬季取暖补贴每户每年一千二百元。\n"


def _sources(client):
    return {d["source"]: d["doc_id"] for d in client.get("/v1/documents").json()}


def _upload(client, name, text):
    return client.post("/v1/documents", files={"files": (name, text.encode(), "text/plain")}, headers=ADMIN)


def _wait_for(check, seconds=30.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.05)
    return False


def test_a_cli_add_then_an_api_upload_keeps_both(stored_index, tmp_path):
    # the service is not told about the CLI add (slow polling): its upload must start from the newest version
    settings = stored_index.settings.model_copy(update={"index_poll_seconds": 600})
    cli_note = write_note(tmp_path, "road.txt", CLI_NOTE)
    with TestClient(create_app(settings)) as client:
        added = run_indexer(stored_index.env, "add", str(cli_note), "--index", str(stored_index.index_dir))
        assert added.returncode == 0
        assert str(cli_note) not in _sources(client)  # not noticed yet
        assert _upload(client, "heating.txt", API_NOTE).status_code == 201
        sources = _sources(client)
        assert str(cli_note) in sources and "heating.txt" in sources
        assert len(client.get("/v1/documents").json()) == 9
    reopened = stored_index.site.open()
    assert {d.source for d in reopened.list_documents()} >= {str(cli_note), "heating.txt"}
    assert [(e.op, e.origin) for e in stored_index.site.store.plan()] == [("build", "build"), ("add", "cli"),
                                                                         ("add", "api")]


def test_the_service_follows_a_cli_add_and_a_rollback(stored_index, tmp_path):
    settings = stored_index.settings.model_copy(update={"index_poll_seconds": 0.2})
    cli_note = write_note(tmp_path, "road.txt", CLI_NOTE)
    with TestClient(create_app(settings)) as client:
        added = run_indexer(stored_index.env, "add", str(cli_note), "--index", str(stored_index.index_dir))
        assert added.returncode == 0
        assert _wait_for(lambda: str(cli_note) in _sources(client), 10)
        hits = client.post("/v1/search", json={"query": "农村公路养护资金每公里补助多少", "top_k": 1}).json()
        assert "一万二千元" in hits["results"][0]["text"]
        assert run_indexer(stored_index.env, "rollback", "--index", str(stored_index.index_dir)).returncode == 0
        assert _wait_for(lambda: str(cli_note) not in _sources(client), 10)


def test_a_damaged_manifest_starts_not_ready_and_a_rebuild_makes_it_ready(stored_index):
    manifest = stored_index.index_dir / "manifest.json"
    manifest.write_text(manifest.read_text().replace('"files": {', '"files": null, "x": {'))
    settings = stored_index.settings.model_copy(update={"index_poll_seconds": 0.2})
    with TestClient(create_app(settings)) as client:
        ready = client.get("/readyz")
        assert ready.status_code == 503 and ready.json()["status"] == "not ready"
        assert "manifest.json is damaged" in ready.json()["reason"] and "rebuild" in ready.json()["reason"]
        assert client.get("/healthz").status_code == 200
        assert client.post("/v1/search", json={"query": "养老金"}).status_code == 503
        with stored_index.site.writer.lock():
            stored_index.site.rebuild()
        assert _wait_for(lambda: client.get("/readyz").status_code == 200, 10)
        assert client.get("/readyz").json()["documents"] == 7


def test_an_upload_waits_for_a_cli_writer_and_neither_loses_anything(stored_index, tmp_path, paused_cli):
    settings = stored_index.settings.model_copy(update={"index_poll_seconds": 600})
    cli_note = write_note(tmp_path, "road.txt", CLI_NOTE)
    with TestClient(create_app(settings)) as client:
        # the CLI holds the writer lock, its new version folder half written
        cli = paused_cli(stored_index.env, "write", "add", str(cli_note), "--index", str(stored_index.index_dir),
                         seconds=3)
        statuses = []
        upload = threading.Thread(target=lambda: statuses.append(_upload(client, "heating.txt", API_NOTE).status_code))
        upload.start()
        upload.join(timeout=1.5)
        assert upload.is_alive()  # waiting for the lock, not writing beside the CLI
        assert cli.wait(timeout=120) == 0
        upload.join(timeout=120)
        assert statuses == [201]
        sources = _sources(client)
        assert str(cli_note) in sources and "heating.txt" in sources
    assert stored_index.site.published_version() == "v000003"
