"""The command-line contract: JSON lines out, one error line per bad file, exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from indexer.cli import DOC_FIELDS, build_parser, main

ROOT = Path(__file__).resolve().parents[2]
GAZETTE = ROOT / "corpus" / "qinghai_gazette_2017.txt"
FIXTURES = ROOT / "tests" / "fixtures"


def lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def test_docs_lists_the_gazette_documents(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["docs", str(GAZETTE)]) == 0
    out, err = capsys.readouterr()
    records = lines(out)
    assert [tuple(r) for r in records] == [DOC_FIELDS] * 7
    assert [r["doc_number"] for r in records] == [
        "青政〔2017〕12号", "青政办〔2017〕10号", "青政办〔2017〕11号", "青政办〔2017〕13号",
        "青政办〔2017〕15号", "青政人〔2017〕7号", ""]
    assert all(r["n_chunks"] > 0 and r["source"] == str(GAZETTE) for r in records)
    assert records[0]["date"] == "2017-01-24" and records[-1]["date"] == "2017-01"
    assert err == ""


def test_chunk_writes_json_lines_to_a_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out_file = tmp_path / "chunks.jsonl"
    assert main(["chunk", str(GAZETTE), str(FIXTURES / "policy_clean.txt"), "--out", str(out_file)]) == 0
    assert capsys.readouterr().out == ""
    chunks = lines(out_file.read_text(encoding="utf-8"))
    assert set(chunks[0]) == {
        "chunk_id", "doc_id", "doc_title", "doc_number", "issuer", "date", "heading_path", "text", "start", "end"}
    assert len({c["doc_id"] for c in chunks}) == 8
    assert any("推广智能冰箱、网络电视、智能空调" in c["text"] for c in chunks)


def test_chunk_size_options_are_used(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["chunk", str(GAZETTE), "--max-chars", "200", "--min-chars", "20"]) == 0
    assert max(len(c["text"]) for c in lines(capsys.readouterr().out)) <= 200


def test_bad_files_get_one_error_line_each_and_the_rest_is_processed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    binary = tmp_path / "photo.txt"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(100))
    unsupported = tmp_path / "sheet.xlsx"
    unsupported.write_bytes(b"PK\x03\x04")
    big = tmp_path / "big.txt"
    big.write_text("正文。" * 200_000, encoding="utf-8")
    code = main(["docs", str(empty), str(GAZETTE), str(binary), str(unsupported), str(tmp_path / "missing.txt"),
                 str(big), "--max-bytes", "1000000"])
    out, err = capsys.readouterr()
    assert code == 1
    assert len(lines(out)) == 7
    errors = err.splitlines()
    assert errors == [
        f"error: {empty}: empty file",
        f"error: {binary}: binary content (a PNG image), not text",
        errors[2],
        f"error: {tmp_path / 'missing.txt'}: no such file or directory",
        errors[4],
    ]
    assert errors[2].startswith(f"error: {unsupported}: unsupported file type '.xlsx'")
    assert errors[4].startswith(f"error: {big}: file too large")
    assert "Traceback" not in err


@pytest.mark.parametrize(
    "argv",
    [[], ["docs"], ["frobnicate", "x"], ["chunk", "x", "--max-chars", "-5"], ["chunk", "x", "--max-chars", "10"]],
)
def test_usage_errors_exit_with_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    assert "Traceback" not in capsys.readouterr().err


def test_parser_can_be_extended() -> None:
    parser = build_parser()
    extra = parser.subparsers.add_parser("hello")
    extra.set_defaults(handler=lambda args: 0)
    args = parser.parse_args(["hello"])
    assert args.handler(args) == 0


def test_python_dash_m_entry_point(tmp_path: Path) -> None:
    bad = tmp_path / "bad.pdf"
    bad.write_bytes(b"not a pdf")
    run = subprocess.run(
        [sys.executable, "-m", "indexer", "docs", str(FIXTURES / "policy_gb18030.txt"), str(bad)],
        cwd=ROOT, capture_output=True, text=True, encoding="utf-8", timeout=60,
    )
    assert run.returncode == 1
    [record] = lines(run.stdout)
    assert record["title"] == "青海省人民政府办公厅关于支持民营经济发展的若干措施"
    assert run.stderr.strip() == f"error: {bad}: not a valid PDF (missing %PDF header)"
