"""Loaders: every supported format and encoding, and one clear error per bad file."""

from __future__ import annotations

import json
from pathlib import Path

import docx
import pytest

from indexer.ingest.loaders import LoadError, decode_bytes, load_sources
from indexer.ingest.markup import html_to_text
from indexer.ingest.pipeline import ingest

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
NOTICE = "青海省人民政府办公厅关于做好春运工作的通知\n\n一、加强组织领导。各地区要成立工作专班，确保旅客安全出行。\n"


def make_pdf(pages: list[list[str]]) -> bytes:
    """A minimal text PDF (Helvetica, ASCII), one list of lines per page."""
    body: dict[int, bytes] = {
        1: b"<< /Type /Catalog /Pages 2 0 R >>",
        3: b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    }
    kids, number = [], 4
    for lines in pages:
        page, content = number, number + 1
        number += 2
        kids.append(f"{page} 0 R")
        stream = "\n".join(["BT /F1 12 Tf 20 120 Td 14 TL", *(f"({line}) Tj T*" for line in lines), "ET"]).encode()
        body[content] = b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream"
        body[page] = (
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 300 144] /Contents {content} 0 R "
            "/Resources << /Font << /F1 3 0 R >> >> >>"
        ).encode()
    body[2] = f"<< /Type /Pages /Kids [{' '.join(kids)}] /Count {len(pages)} >>".encode()
    out, offsets = bytearray(b"%PDF-1.4\n"), {}
    for key in sorted(body):
        offsets[key] = len(out)
        out += f"{key} 0 obj\n".encode() + body[key] + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {number}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offsets[key]:010d} 00000 n \n".encode() for key in range(1, number))
    out += f"trailer\n<< /Size {number} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


@pytest.mark.parametrize(
    ("encoding", "expected"),
    [
        ("utf-8", "utf-8"),
        ("utf-8-sig", "utf-8-sig"),
        ("gb18030", "gb18030"),
        ("gbk", "gb18030"),
        ("utf-16", "utf-16-le"),
        ("utf-16-le", "utf-16-le"),
        ("utf-16-be", "utf-16-be"),
    ],
)
def test_text_encodings_are_detected(tmp_path: Path, encoding: str, expected: str) -> None:
    path = tmp_path / "notice.txt"
    path.write_bytes(NOTICE.encode(encoding))
    sources, errors = load_sources([path])
    assert errors == []
    assert sources[0].text == NOTICE
    assert sources[0].encoding == expected
    assert sources[0].fmt == "text"


def test_gb18030_fixture_is_really_gb18030() -> None:
    raw = (FIXTURES / "policy_gb18030.txt").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    text, encoding = decode_bytes(raw)
    assert encoding == "gb18030"
    assert text == (FIXTURES / "policy_clean.txt").read_text(encoding="utf-8")


def test_markdown_keeps_emphasis_and_drops_syntax(tmp_path: Path) -> None:
    path = tmp_path / "notice.md"
    markdown = "# 关于做好春运工作的通知\n\n**加强组织领导。**各地区要成立[工作专班](http://x)。\n"
    path.write_text(markdown, encoding="utf-8")
    [source], errors = load_sources([path])
    assert not errors
    assert source.fmt == "markdown"
    assert source.text.splitlines()[0] == "关于做好春运工作的通知"
    assert "**加强组织领导。**各地区要成立工作专班。" in source.text


def test_html_blocks_tables_and_bold(tmp_path: Path) -> None:
    [source], errors = load_sources([FIXTURES / "notice.html"])
    assert not errors
    assert source.fmt == "html"
    assert source.metadata["title"] == "青海省人民政府办公厅关于做好春运工作的通知"
    lines = source.text.splitlines()
    assert "青政办〔2017〕99号" in lines
    assert "**加强组织领导。**各地区要成立工作专班，确保旅客安全出行。" in lines
    assert "线路\t班次\t运力" in lines and "西宁—格尔木\t12\t600" in lines
    assert "analytics" not in source.text and "网站首页" not in source.text


def test_html_nested_bold_is_wrapped_once_and_nested_tables_get_their_own_rows() -> None:
    page = (
        "<html><body><p>第一条 <b>加强 <b>组织</b> 领导。</b>各地区要成立专班。</p>"
        "<table><tr><td>线路<table><tr><td>西宁</td><td>格尔木</td></tr></table></td><td>班次</td></tr></table>"
        "</body></html>"
    )
    _, text = html_to_text(page)
    lines = text.splitlines()
    assert "第一条 **加强组织领导。**各地区要成立专班。" in lines
    assert lines[-2:] == ["线路\t班次", "西宁\t格尔木"]


def test_docx_paragraphs_bold_runs_and_tables(tmp_path: Path) -> None:
    document = docx.Document()
    document.add_paragraph("青海省人民政府办公厅关于做好春运工作的通知")
    paragraph = document.add_paragraph()
    paragraph.add_run("加强组织领导。").bold = True
    paragraph.add_run("各地区要成立工作专班。")
    table = document.add_table(rows=2, cols=3)
    for row, values in zip(table.rows, [("线路", "班次", "运力"), ("西宁—格尔木", "12", "600")], strict=True):
        for cell, value in zip(row.cells, values, strict=True):
            cell.text = value
    path = tmp_path / "notice.docx"
    document.save(path)
    [source], errors = load_sources([path])
    assert not errors
    assert source.fmt == "docx"
    assert source.text.splitlines() == [
        "青海省人民政府办公厅关于做好春运工作的通知",
        "**加强组织领导。**各地区要成立工作专班。",
        "线路\t班次\t运力",
        "西宁—格尔木\t12\t600",
    ]


def test_pdf_text_pages_and_page_break_repair(tmp_path: Path) -> None:
    path = tmp_path / "notice.pdf"
    path.write_bytes(make_pdf([["Public notice on road works.", "The works start on"], ["1 March and end in May."]]))
    [source], errors = load_sources([path])
    assert not errors
    assert source.fmt == "pdf" and source.metadata["pages"] == 2
    assert "The works start on" in source.text and "1 March and end in May." in source.text
    result = ingest([path])
    assert "The works start on 1 March and end in May." in result.documents[0].text


def test_pdf_without_text_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "scan.pdf"
    path.write_bytes(make_pdf([[]]))
    sources, [error] = load_sources([path])
    assert sources == []
    assert "no extractable text" in error.message


def test_jsonl_records_become_sources_and_bad_lines_errors(tmp_path: Path) -> None:
    path = tmp_path / "bulk.jsonl"
    lines = (FIXTURES / "bulk.jsonl").read_text(encoding="utf-8").splitlines()
    path.write_text("\n".join([*lines, "{not json", json.dumps({"id": "x"})]) + "\n", encoding="utf-8")
    sources, errors = load_sources([path])
    assert [s.metadata["id"] for s in sources] == ["notice-001", "notice-002"]
    assert sources[0].source == f"{path}#notice-001"
    assert sources[0].metadata["title"] == "关于做好春运工作的通知"
    assert sources[0].metadata["region"] == "西宁"
    assert [e.source for e in errors] == [f"{path}:3", f"{path}:4"]
    assert "invalid JSON" in errors[0].message and '"text"' in errors[1].message


def test_directory_expands_to_supported_files(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text(NOTICE, encoding="utf-8")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.md").write_text(NOTICE, encoding="utf-8")
    (tmp_path / "notes.xyz").write_text("ignored", encoding="utf-8")
    (tmp_path / ".hidden.txt").write_text(NOTICE, encoding="utf-8")
    sources, errors = load_sources([tmp_path])
    assert not errors
    assert [Path(s.source).name for s in sources] == ["a.txt", "b.md"]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.txt", b"", "empty file"),
        ("blank.txt", b" \n\n\t\n", "empty file"),
        ("image.txt", b"\x89PNG\r\n\x1a\n" + bytes(200), "binary content"),
        ("nul.txt", bytes(range(256)) * 4, "binary content"),
        ("garbage.txt", bytes([0xC0, 0xC1, 0xF5, 0xFF]) * 50, "undecodable"),
        ("controls.txt", bytes([1, 2, 3, 4, 5]) * 50, "undecodable"),
        ("table.xlsx", b"PK\x03\x04rest", "unsupported file type '.xlsx'"),
        ("old.doc", b"\xd0\xcf\x11\xe0", "save it as .docx"),
        ("README", b"text", "unsupported file type (no extension)"),
        ("fake.docx", b"plain text", "not a valid .docx"),
        ("broken.docx", b"PK\x03\x04not a zip", "cannot read docx file"),
        ("fake.pdf", b"plain text", "not a valid PDF"),
    ],
)
def test_bad_files_give_one_error_each(tmp_path: Path, name: str, content: bytes, message: str) -> None:
    bad = tmp_path / name
    bad.write_bytes(content)
    good = tmp_path / "good.txt"
    good.write_text(NOTICE, encoding="utf-8")
    sources, errors = load_sources([bad, good])
    assert [s.source for s in sources] == [str(good)]
    assert len(errors) == 1 and isinstance(errors[0], LoadError)
    assert errors[0].source == str(bad)
    assert message in errors[0].message


def test_missing_file_and_size_limit(tmp_path: Path) -> None:
    big = tmp_path / "big.txt"
    big.write_text(NOTICE * 10, encoding="utf-8")
    sources, errors = load_sources([tmp_path / "missing.txt", big], max_bytes=100)
    assert sources == []
    assert errors[0].message == "no such file or directory"
    assert errors[1].message.startswith("file too large")


SEPARATORS = "\u2028\u2029\x85\x0b\x0c\x1c\x1d\x1e"  # str.splitlines() breaks lines at each of these


def test_jsonl_records_holding_line_separators_are_accepted(tmp_path: Path) -> None:
    path = tmp_path / "bulk.jsonl"
    text = f"关于做好春运工作的通知\n\n一、加强组织领导。各地区要成立{SEPARATORS}工作专班。" + "确保旅客安全出行。" * 40
    records = [{"id": "sep-1", "title": "春运", "text": text}, {"id": "sep-2", "text": "第二条记录。" * 10}]
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in records) + "\n", encoding="utf-8")
    sources, errors = load_sources([path])
    assert errors == []
    assert [s.metadata["id"] for s in sources] == ["sep-1", "sep-2"]
    assert sources[0].text == text


def test_html_declaring_gb2312_but_written_in_utf8_is_read_as_utf8(tmp_path: Path) -> None:
    path = tmp_path / "page.html"
    page = '<html><head><meta charset="gb2312"></head><body><p>各地区要成立工作专班。</p></body></html>'
    path.write_bytes(page.encode("utf-8"))
    [source], errors = load_sources([path])
    assert errors == []
    assert source.text == "各地区要成立工作专班。" and source.encoding == "utf-8"


def test_html_really_in_gb2312_is_still_read_as_declared(tmp_path: Path) -> None:
    path = tmp_path / "page.html"
    page = '<html><head><meta charset="gb2312"></head><body><p>各地区要成立工作专班。</p></body></html>'
    path.write_bytes(page.encode("gb2312"))
    [source], errors = load_sources([path])
    assert errors == [] and source.text == "各地区要成立工作专班。"


def test_utf8_text_cut_inside_its_last_character_is_read(tmp_path: Path) -> None:
    path = tmp_path / "cut.txt"
    path.write_bytes(NOTICE.rstrip().encode("utf-8")[:-1])  # the final 。 loses its last byte
    [source], errors = load_sources([path])
    assert errors == []
    assert source.text == NOTICE.rstrip()[:-1] and source.encoding == "utf-8"
