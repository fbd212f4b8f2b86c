"""BEIR reader, corpus → chunk id mapping, qrels metrics and a whole run on a tiny fixture.

No real model: the index tests use a deterministic character-hash encoder.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest

from config import Settings
from evaluation.beir_eval import corpus_id, corpus_records, document_flags, evaluate_beir_mode
from evaluation.gold import read_beir

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "beir_tiny"


class HashEncoder:
    """Bag of character bigrams hashed into 64 dimensions, L2-normalized."""

    name = "hash-test:0"
    dim = 64

    def _encode(self, texts):
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for i in range(len(text) - 1):
                out[row, hashlib.md5(text[i : i + 2].encode()).digest()[0] % self.dim] += 1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.where(norms > 0, norms, 1.0)

    def encode_queries(self, texts):
        return self._encode(texts)

    def encode_passages(self, texts, show_progress=False):
        return self._encode(texts)


@pytest.fixture(scope="module")
def beir():
    return read_beir(FIXTURE)


def test_reader(beir):
    assert list(beir.corpus) == ["L1", "L2", "L3", "L4", "L5", "L6"]
    assert beir.queries == {"0": "谁可以成为个体工商户？", "1": "个体工商户欠的债谁来还？", "2": "周末加班工资怎么算？"}
    assert beir.qrels == {"0": {"L1": 1, "L3": 1}, "1": {"L2": 1}, "2": {"L5": 1, "L4": 0}}  # header skipped


def test_reader_reports_missing_files(tmp_path):
    with pytest.raises(FileNotFoundError, match="corpus"):
        read_beir(tmp_path)


def test_one_document_and_one_chunk_per_record(beir):
    documents, chunks = corpus_records(beir)
    ids = list(beir.corpus)
    assert [d.doc_id for d in documents] == [c.chunk_id for c in chunks] == [c.doc_id for c in chunks] == ids
    c = chunks[0]
    assert c.doc_title == "中华人民共和国民法典第五十四条"
    assert c.heading_path == ["中华人民共和国民法典", "第五十四条"]
    assert c.text == beir.corpus["L1"]["text"] and (c.start, c.end) == (0, len(c.text))
    assert documents[0].source == "民法典.md" and documents[0].metadata == {"law": "中华人民共和国民法典",
                                                                          "article": "第五十四条"}


def test_passages_map_to_corpus_ids_through_documents():
    assert corpus_id({"chunk_id": "L1#2", "doc_id": "L1"}) == "L1"
    assert corpus_id({"chunk_id": "L3"}) == "L3"
    passages = [{"chunk_id": "L4#1", "doc_id": "L4"}, {"chunk_id": "L1#1", "doc_id": "L1"},
                {"chunk_id": "L1#2", "doc_id": "L1"}, {"chunk_id": "L3#1", "doc_id": "L3"}]
    flags, docs = document_flags(passages, {"L1": 1, "L3": 1, "L4": 0})
    assert docs == ["L4", "L1", "L3"]  # the second chunk of L1 is dropped
    assert flags == [False, True, True]


def test_metrics_with_a_fixed_ranking(beir):
    rankings = {"0": ["L3", "L6", "L1"], "1": ["L6", "L4", "L5", "L1"], "2": ["L4", "L5"]}

    def searcher(question, mode, top_k):
        qid = next(q for q, text in beir.queries.items() if text == question)
        return [{"chunk_id": d, "doc_id": d, "text": ""} for d in rankings[qid][:top_k]], True

    report = evaluate_beir_mode(searcher, beir, "bm25", top_k=100)
    m = report.metrics
    # query 0: relevant at ranks 1 and 3 of 2 relevant; query 1: none; query 2: rank 2 of 1 relevant
    assert m["R@1"] == pytest.approx((1 / 2 + 0 + 0) / 3)
    assert m["R@3"] == pytest.approx((1 + 0 + 1) / 3)
    assert m["Hit@1"] == pytest.approx(1 / 3)
    assert m["R@100"] == m["R@10"] == pytest.approx(2 / 3)
    assert m["MRR@10"] == pytest.approx((1 + 0 + 1 / 2) / 3)
    ideal_0 = 1 + 1 / np.log2(3)
    assert m["nDCG@10"] == pytest.approx(((1 + 1 / np.log2(4)) / ideal_0 + 0 + (1 / np.log2(3))) / 3)
    assert m["queries"] == 3
    assert [o.first_relevant_rank for o in report.outcomes] == [1, None, 2]


@pytest.fixture
def settings(tmp_path):
    return Settings(embedding_cache_dir=tmp_path / "cache", index_dir=tmp_path / "unused")


def test_index_is_built_once_then_reused(beir, settings, tmp_path):
    from evaluation.beir_eval import beir_index
    from evaluation.gold import BeirSet

    index, info = beir_index(beir, tmp_path / "beir", settings, HashEncoder(), show_progress=False)
    sentences = sum(len(index.analyzer.sentences(c.text)) for c in index.chunks)  # embedded for answers
    # an encoder without span pooling embeds each chunk's heading (for the fusion) as a text of its own too
    texts = 6 + 6 + sentences
    assert not info.reused and info.chunks == 6 and info.cache_misses == texts
    assert [c.chunk_id for c in index.chunks] == list(beir.corpus)
    _, again = beir_index(beir, tmp_path / "beir", settings, HashEncoder(), show_progress=False)
    assert again.reused and again.chunks == 6
    _, forced = beir_index(beir, tmp_path / "beir", settings, HashEncoder(), rebuild=True, show_progress=False)
    assert not forced.reused and forced.cache_hits == texts and forced.cache_misses == 0  # cheap
    smaller = BeirSet({k: v for k, v in beir.corpus.items() if k != "L6"}, beir.queries, beir.qrels)
    index, changed = beir_index(smaller, tmp_path / "beir", settings, HashEncoder(), show_progress=False)
    assert not changed.reused and len(index.chunks) == 5  # another corpus: rebuilt


def test_whole_run_writes_reports(beir, settings, tmp_path):
    from evaluation import reports, runner
    from evaluation.beir_eval import beir_index

    index, info = beir_index(beir, tmp_path / "beir", settings, HashEncoder(), show_progress=False)
    target = runner._local_target(index, None, settings, str(tmp_path / "beir"))
    run = runner.run_beir(beir, target, ["bm25", "dense", "hybrid"], "beir_tiny", build=info)
    by_mode = {r.mode: r.metrics for r in run.modes}
    # six articles: dense (and so hybrid) ranks all of them, so every relevant one is in the top 10
    assert by_mode["dense"]["R@10"] == by_mode["hybrid"]["R@10"] == pytest.approx(1.0)
    assert by_mode["bm25"]["R@100"] <= 1.0 and by_mode["bm25"]["queries"] == 3
    paths = reports.write_beir_report(run, tmp_path / "out")
    summary = json.loads(paths["json"].read_text(encoding="utf-8"))
    assert set(summary["retrieval"]) == {"bm25", "dense", "hybrid"}
    assert summary["build"]["chunks"] == 6 and summary["corpus"] == 6
    assert "| bm25 |" in paths["markdown"].read_text(encoding="utf-8")
    assert paths["chart"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert paths["misses"].is_file()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["run", "--gold", "/nonexistent/gold.jsonl", "--index", "/nonexistent/index"], "/nonexistent/gold.jsonl"),
        (["run", "--beir", "/nonexistent/beir"], "not a folder"),
        (["run", "--gold", str(FIXTURE / "queries.jsonl"), "--index", "/tmp"], "not a gold question"),
        (["run", "--beir", str(FIXTURE), "--url", "ftp://x"], "--url must start with http"),
        (["run", "--beir", str(FIXTURE), "--url", "http://127.0.0.1:9"], "cannot reach"),
        (["run", "--beir", str(FIXTURE), "--modes", "bm25,fancy"], "unknown mode 'fancy'"),
        (["bench", "--queries", "/nonexistent/q.jsonl", "--url", "http://127.0.0.1:9", "--no-encoders"],
         "cannot read queries"),
    ],
)
def test_cli_errors_are_one_line(argv, message, capsys):
    from evaluation.__main__ import main

    assert main(argv) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and message in err and "Traceback" not in err


def test_cli_usage_error_exits_2(capsys):
    from evaluation.__main__ import main

    assert main(["run", "--index", "/tmp"]) == 2  # neither --gold nor --beir
    assert "one of the arguments --gold --beir is required" in capsys.readouterr().err
