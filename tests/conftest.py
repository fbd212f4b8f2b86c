"""Shared fixtures: the real model folder and encoders, loaded once per test session."""

from __future__ import annotations

import os
from contextlib import contextmanager

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from pathlib import Path

import pytest
from pydantic import SecretStr

from config import get_settings

PROJECT_ROOT = Path(__file__).resolve().parent.parent
GAZETTE = PROJECT_ROOT / "corpus" / "qinghai_gazette_2017.txt"
DEV_SET = PROJECT_ROOT / "evaluation" / "data" / "seed_dev.jsonl"


@pytest.fixture(scope="session")
def model_dir() -> Path:
    from models.build import build_model_folder

    path = get_settings().model_dir
    build_model_folder(path, encoders=("onnx-int8", "torch"), tuned=get_settings().tuned_layers)  # no-op if intact
    return path


@pytest.fixture(scope="session")
def torch_encoder(model_dir):
    from models.encoder import TorchEncoder

    return TorchEncoder(model_dir)


@pytest.fixture(scope="session")
def onnx_encoder(model_dir):
    from models.encoder import OnnxInt8Encoder

    return OnnxInt8Encoder(model_dir)


@pytest.fixture(scope="session")
def test_settings(tmp_path_factory, model_dir):
    """Settings for a test session: a private index folder, the shared embedding cache."""
    return get_settings().model_copy(
        update={"index_dir": tmp_path_factory.mktemp("index") / "gazette", "model_dir": model_dir,
                "admin_api_key": SecretStr("test-admin-key"),
                "feedback_db": tmp_path_factory.mktemp("log") / "feedback.sqlite",
                "store_dir": tmp_path_factory.mktemp("store")}
    )


@pytest.fixture(scope="session")
def cli_env(tmp_path_factory) -> dict[str, str]:
    """Environment for `python -m indexer` subprocesses: this worktree's code, a private document store."""
    return {**os.environ, "PYTHONPATH": str(PROJECT_ROOT), "STORE_DIR": str(tmp_path_factory.mktemp("cli-store"))}


@pytest.fixture(scope="session")
def gazette_ingest():
    from indexer.ingest.pipeline import ingest

    result = ingest([GAZETTE])
    assert not result.errors, result.errors
    return result


@pytest.fixture(scope="session")
def gazette_index(test_settings, onnx_encoder, gazette_ingest):
    """The real gazette indexed with the default encoder (read-only for tests)."""
    from indexer.backends.local import LocalIndex

    index = LocalIndex(test_settings.index_dir, test_settings, onnx_encoder)
    index.build(gazette_ingest.documents, gazette_ingest.chunks)
    return index


@contextmanager
def serve(app, ready_path: str = "/readyz"):
    """Run ``app`` with uvicorn on a free loopback port until ``ready_path`` answers 200; yield the base URL."""
    import socket
    import threading
    import time

    import httpx
    import uvicorn

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if not thread.is_alive():  # startup failed: say so now rather than after the deadline
                pytest.fail(f"the service stopped before answering {ready_path} (see the log above)")
            try:
                if httpx.get(f"{base}{ready_path}", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        else:
            pytest.fail(f"the service did not answer 200 on {ready_path} within 120 s")
        yield base
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(scope="session")
def live_service(test_settings, gazette_index):
    """The real service on a free loopback port, serving the gazette index."""
    from service.app import create_app

    with serve(create_app(test_settings)) as base:
        yield base


@pytest.fixture()
def stored_index(tmp_path, test_settings, onnx_encoder, cli_env):
    """A private gazette index built through the document store (as `python -m indexer build` does).

    Gives the settings, the `IndexSite` and the environment for CLI subprocesses on the same index and store.
    """
    from types import SimpleNamespace

    from indexer.backends.factory import IndexSite
    from indexer.ingest.pipeline import ingest

    settings = test_settings.model_copy(update={"index_dir": tmp_path / "idx", "store_dir": tmp_path / "store"})
    site = IndexSite(settings, encoder=onnx_encoder)
    result = ingest([GAZETTE])
    staged = site.writer.stage(result, [(GAZETTE, str(GAZETTE))])
    with site.writer.lock():
        site.writer.build(site.new(), result, staged, origin="build")
    env = {**cli_env, "STORE_DIR": str(settings.store_dir), "INDEX_DIR": str(settings.index_dir)}
    return SimpleNamespace(settings=settings, site=site, env=env, index_dir=settings.index_dir)


@pytest.fixture()
def paused_cli():
    """Start `python -m indexer ARGS` that stops at a named point of its write (INDEX_TEST_PAUSE_AT); returns
    the process once it has reached that point. Processes still running at the end are killed."""
    import subprocess
    import sys

    started = []

    def start(env: dict[str, str], point: str, *args: str, seconds: float = 60) -> subprocess.Popen:
        env = {**env, "INDEX_TEST_PAUSE_AT": point, "INDEX_TEST_PAUSE_S": str(seconds)}
        proc = subprocess.Popen([sys.executable, "-m", "indexer", "-q", *args], env=env, text=True,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        started.append(proc)
        line = proc.stderr.readline()
        assert line.strip() == f"paused at {point}", line + proc.stderr.read()
        return proc

    yield start
    for proc in started:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        proc.stdout.close()
        proc.stderr.close()
