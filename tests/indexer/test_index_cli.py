"""The index commands of `python -m indexer` (the contract evaluation scripts rely on)."""

import json
import subprocess
import sys

import pytest

ENV: dict[str, str] = {}

pytestmark = pytest.mark.slow


@pytest.fixture(autouse=True, scope="module")
def _private_store(cli_env):
    global ENV
    ENV = cli_env


def _run(*args):
    return subprocess.run([sys.executable, "-m", "indexer", *args], capture_output=True, text=True, timeout=600,
                          env=ENV)


@pytest.fixture(scope="module")
def cli_index(tmp_path_factory):
    index = tmp_path_factory.mktemp("cli") / "index"
    from tests.conftest import GAZETTE

    result = _run("-q", "build", str(GAZETTE), "--index", str(index))
    assert result.returncode == 0, result.stderr
    assert "built: 7 documents" in result.stderr and "chunks/s" in result.stderr
    return index


def test_search_prints_json_with_the_documented_fields(cli_index):
    result = _run("search", "--index", str(cli_index), "农村低保一年人均能拿到多少？", "--top-k", "3", "--json")
    assert result.returncode == 0, result.stderr
    body = json.loads(result.stdout)
    assert len(body["results"]) == 3 and isinstance(body["confident"], bool)
    first = body["results"][0]
    for field in ("chunk_id", "doc_id", "doc_title", "doc_number", "heading_path", "text", "score", "bm25_score",
                  "dense_score"):
        assert field in first
    assert "3320" in first["text"]


def test_batch_search_writes_one_line_per_question(cli_index, tmp_path):
    queries = tmp_path / "q.jsonl"
    queries.write_text(
        '{"id": "a", "question": "众创空间到2020年要达到多少家"}\n{"id": "b", "question": "青政办〔2017〕15号"}\n'
        '{"id": "c"}\n',
        encoding="utf-8",
    )
    out = tmp_path / "r.jsonl"
    result = _run("search", "--index", str(cli_index), "--queries", str(queries), "--out", str(out),
                  "--mode", "bm25", "--top-k", "2")
    assert result.returncode == 1 and f"{queries}:3" in result.stderr  # the bad line is named, the rest done
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [line["id"] for line in lines] == ["a", "b"]
    assert all(len(line["results"]) == 2 and "confident" in line for line in lines)


def test_remove_then_build_if_missing_keeps_the_index(cli_index):
    docs = _run("search", "--index", str(cli_index), "青政人〔2017〕7号", "--json", "--mode", "bm25")
    doc_id = json.loads(docs.stdout)["results"][0]["doc_id"]
    assert _run("remove", doc_id, "--index", str(cli_index)).returncode == 0
    again = _run("remove", doc_id, "--index", str(cli_index))
    assert again.returncode == 1 and "no such document" in again.stderr
    kept = _run("build", "--index", str(cli_index), "--if-missing")
    assert kept.returncode == 0 and "nothing to do" in kept.stderr
    after = json.loads(_run("search", "--index", str(cli_index), "张蓝青免职", "--json", "--mode", "bm25").stdout)
    assert all(r["doc_id"] != doc_id for r in after["results"])


def test_errors_are_one_line_without_traceback(tmp_path):
    missing = _run("search", "--index", str(tmp_path / "none"), "养老金")
    assert missing.returncode == 1 and missing.stderr.startswith("error: no index at")
    assert "Traceback" not in missing.stderr
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    built = _run("-q", "build", str(empty), "--index", str(tmp_path / "idx"))
    assert built.returncode == 1 and "empty.txt" in built.stderr and "Traceback" not in built.stderr
