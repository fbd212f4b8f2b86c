"""A smaller BEIR set cut from a big one: one fold's queries over their gold documents plus the first others.

    python -m evaluation.beir_sample --beir ../shared/eval/stard --fold 0 --documents 5000 --out var/stard-f0-5k

The corpus keeps the source file's order: every document a kept query's qrels name,
then the first other documents of the file until ``--documents`` are reached (the first
ones are also the first an interrupted full build embedded, so a shared embedding cache
already holds their vectors). Queries are those of ``--fold`` in ``folds.tsv``; qrels
and folds are cut to them. Used where the full set is too slow to build twice, e.g.
comparing two backends on the same model; the cut is deterministic.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import sys
from pathlib import Path

from evaluation.gold import read_beir


def cut(source: Path, out: Path, fold: str, documents: int) -> tuple[int, int]:
    """Write the cut set to ``out``; returns (documents, queries)."""
    with open(source / "folds.tsv", encoding="utf-8") as fh:
        in_fold = {row[0] for row in csv.reader(fh, delimiter="\t")
                   if len(row) > 1 and row[0] != "query_id" and fold in ("all", row[1])}
    beir = read_beir(source)
    queries = {q: t for q, t in beir.queries.items() if q in in_fold}
    gold = {doc for q in queries for doc, score in beir.qrels[q].items() if score > 0 and doc in beir.corpus}
    others = [d for d in beir.corpus if d not in gold][: max(0, documents - len(gold))]
    keep = gold | set(others)
    out.mkdir(parents=True, exist_ok=True)
    with gzip.open(out / "corpus.jsonl.gz", "wt", encoding="utf-8") as fh:
        for doc_id, record in beir.corpus.items():
            if doc_id in keep:
                fh.write(json.dumps(record, ensure_ascii=False) + "\n")
    with open(out / "queries.jsonl", "w", encoding="utf-8") as fh:
        for qid, text in queries.items():
            fh.write(json.dumps({"_id": qid, "text": text}, ensure_ascii=False) + "\n")
    with open(out / "qrels.tsv", "w", encoding="utf-8") as fh:
        fh.write("query_id\tcorpus_id\tscore\n")
        for qid in queries:
            for doc, score in beir.qrels[qid].items():
                fh.write(f"{qid}\t{doc}\t{score}\n")
    with open(out / "folds.tsv", "w", encoding="utf-8") as fh:
        fh.write("query_id\tfold\n" + "".join(f"{qid}\t{fold}\n" for qid in queries))
    return len(keep), len(queries)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evaluation.beir_sample", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--beir", type=Path, required=True, metavar="DIR", help="the full BEIR set (with folds.tsv)")
    parser.add_argument("--fold", default="0", help="the fold whose queries are kept (all: every query)")
    parser.add_argument("--documents", type=int, default=5000, help="corpus size of the cut (at least the gold)")
    parser.add_argument("--out", type=Path, required=True, metavar="DIR")
    args = parser.parse_args(argv)
    if not (args.beir / "folds.tsv").is_file():
        print(f"error: {args.beir / 'folds.tsv'}: no such file", file=sys.stderr)
        return 2
    try:
        n_docs, n_queries = cut(args.beir, args.out, args.fold, args.documents)
    except (OSError, ValueError, KeyError) as exc:
        print(f"error: {args.beir}: {exc}", file=sys.stderr)
        return 2
    print(f"{args.out}: {n_docs} documents, {n_queries} queries (fold {args.fold})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
