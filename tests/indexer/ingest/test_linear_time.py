"""Every ingestion stage runs in linear time: ~100 KB of adversarial text takes well under 1 s.

Inputs are runs of the characters the stages' patterns react to (blank lines, ``*``,
brackets, numbering markers, table pipes, 文号 and date pieces, no punctuation at all, one
huge line...), repeated up to 100 KB. A super-linear pattern (a regex backtracking over a run,
a line re-scanned at every join) takes seconds to minutes on such input; the cases that did
are pinned with ``@example``. Time is CPU time of this process, so a busy machine does not
make the test flaky.
"""

from __future__ import annotations

import time
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from indexer.ingest.clause_splitter import chunk_document
from indexer.ingest.loaders import LoaderError, load_file
from indexer.ingest.normalizer import normalize_document
from indexer.ingest.segmenter import segment
from indexer.records import SourceText

SIZE = 100_000
LIMIT_S = 1.0
FRAGMENTS = (
    "\n", "\n\n", " ", "\u3000", "\t", "*", "**", "[", "]", "](", "![", "(", ")", "（", "）", "|", "|---", "#", ">",
    "一、", "（一）", "1.", "1、", "(1)", "①", "——", "●", "第一条", "第一章", "专栏1", "附件", "附件1：", "字",
    "通知", "关于", "。", "，", "：", "青政办〔2017〕1号", "2017年1月1日", "青海省人民政府", "大事记", "a", "1", "-",
    "<", "<p>", "<b>", "</b>", "<tr><td>", "&", "<!--",
)
runs = st.lists(
    st.tuples(st.sampled_from(FRAGMENTS) | st.text(min_size=1, max_size=4), st.integers(1, SIZE)),
    min_size=1, max_size=5,
)


def adversarial(pattern: list[tuple[str, int]]) -> str:
    unit = "".join(fragment * count for fragment, count in pattern)[:SIZE]
    return (unit * (SIZE // len(unit) + 1))[:SIZE]


def timed(stage, *args):
    started = time.process_time()
    result = stage(*args)
    return result, time.process_time() - started


def load_or_error(path: Path):
    try:
        return load_file(path)
    except LoaderError as exc:  # blank input: a per-file error, not a hang
        return exc


def chunk_all(documents):
    return [chunk for document in documents for chunk in chunk_document(document, 500, 40)]


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(pattern=runs)
@example(pattern=[("\n", 1)])  # markdown clean-up: cubic on blank lines
@example(pattern=[(" \n", 1)])
@example(pattern=[("![", 1)])  # markdown images and links: quadratic on unclosed brackets
@example(pattern=[("[", 1)])
@example(pattern=[("**a ", 1)])  # emphasis: quadratic on unpaired markers
@example(pattern=[("字 ", 1)])  # one-line document: its title search was quadratic
@example(pattern=[("字\n", 1)])  # a run of cut lines: each join re-read the whole joined line
@example(pattern=[("。1.", 1)])  # inline numbering on one line
@example(pattern=[("| a |\n", 1)])
@example(pattern=[("<", 8842), ("青政办〔2017〕1号", 327), ("#", 387), ("<b>", 99999)])  # nested bold re-read per level
@example(pattern=[("<table><tr><td>", 1)])  # nested tables: each row read its cells' whole subtree
def test_every_stage_is_linear_on_100_kb(tmp_path_factory, pattern: list[tuple[str, int]]) -> None:
    text = adversarial(pattern)
    folder = Path(tmp_path_factory.mktemp("adversarial"))
    times = {}
    for suffix in (".md", ".html"):
        path = folder / f"adversarial{suffix}"
        path.write_text(text, encoding="utf-8")
        _, times[f"loader ({suffix})"] = timed(load_or_error, path)
    _, times["normalizer"] = timed(normalize_document, text)
    documents, times["segmenter"] = timed(segment, SourceText("adversarial.txt", text, "utf-8", "text"))
    _, times["clause splitter + sizing"] = timed(chunk_all, documents)
    slow = {stage: round(seconds, 2) for stage, seconds in times.items() if seconds > LIMIT_S}
    assert not slow, f"{slow} on {pattern!r}"
