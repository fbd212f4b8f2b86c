"""Follow-up questions: turn-2/3 retrieval and answers with and without completion, and asked in full.

    python -m evaluation.followup_eval [--gold evaluation/data/followup_dev.jsonl] [--index DIR] [--held-out-from f033]

Each exchange is replayed through the real answerer (in-process, the same code as
``/v1/ask``). Turn 1 is asked in full. For every later turn three conditions run:

* ``without``: the follow-up as typed, no history (what the service did before);
* ``with``: the follow-up with the history the widget would send (earlier questions as
  typed, each with the chunk ids the system cited in this same condition);
* ``full``: the same question written out in full (the ``full`` field), no history.

R@5: a relevant passage (evaluation/data/README.md rule) among the five cited passages.
Accuracy: the answer contains the key string. The set is split at ``HELD_OUT_FROM``
(f033): rules are fitted looking at the exchanges before it only; f033–f064 are held out
(tests/evaluation/test_followup_eval.py gates on them).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from config import get_settings
from evaluation.relevance import contains_answer, is_relevant
from indexer.backends.factory import BackendUnavailable, open_backend
from indexer.records import Turn
from service.answering import Answerer

CONDITIONS = ("without", "with", "full")
HELD_OUT_FROM = "f033"  # the first exchange id of the held-out half
DEFAULT_GOLD = Path(__file__).parent / "data" / "followup_dev.jsonl"


def load(path: Path) -> list[dict]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    for row in rows:
        if len(row.get("turns", [])) < 2:
            raise ValueError(f"{path}: exchange {row.get('id')} has fewer than two turns")
    return rows


def replay(index, answerer: Answerer, exchange: dict) -> list[dict]:
    """One record per follow-up turn: hit and correct per condition, and the completed question."""
    out = []
    histories: dict[str, list[Turn]] = {c: [] for c in CONDITIONS}
    for number, turn in enumerate(exchange["turns"], start=1):
        record = {"id": exchange["id"], "turn": number, "question": turn["question"], "full_question": turn["full"]}
        for condition in CONDITIONS:
            asked = turn["full"] if condition == "full" or number == 1 else turn["question"]
            history = histories[condition] if condition == "with" else []
            answer = answerer.answer(index, asked, 5, None, history)
            texts = [c.chunk.text for c in answer.citations[:5]]
            record[condition] = {
                "hit": any(is_relevant(t, turn["evidence"]) for t in texts),
                "correct": contains_answer(answer.answer, turn["answer"]),
            }
            if condition == "with":
                record["completed"] = answer.completed
                # answered on the lighter reading (the completed question's answer missed the follow-up's words)
                record["lighter"] = bool(answer.completed) and (
                    answer.completed != answerer.complete(index, asked, history).completed)
            histories[condition].append(Turn(asked, tuple(c.chunk.chunk_id for c in answer.citations), answer.answer))
        if number > 1:
            out.append(record)
    return out


def summarize(records: list[dict]) -> dict[str, dict[str, float]]:
    n = len(records) or 1
    return {
        c: {"R@5": sum(r[c]["hit"] for r in records) / n, "accuracy": sum(r[c]["correct"] for r in records) / n}
        for c in CONDITIONS
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evaluation.followup_eval", description=__doc__.splitlines()[0])
    parser.add_argument("--gold", type=Path, default=DEFAULT_GOLD)
    parser.add_argument("--index", type=Path, help="index folder (default INDEX_DIR)")
    parser.add_argument("--held-out-from", default=HELD_OUT_FROM, help="first exchange id of the held-out part")
    parser.add_argument("--out", type=Path, help="write every turn's outcome as JSON lines here")
    args = parser.parse_args(argv)
    settings = get_settings()
    try:
        exchanges = load(args.gold)
        index = open_backend(settings, args.index)
    except (OSError, ValueError, BackendUnavailable) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    answerer = Answerer(settings.model_copy(update={"llm_base_url": ""}))
    records = [r for ex in exchanges for r in replay(index, answerer, ex)]
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    parts = {
        "dev": [r for r in records if r["id"] < args.held_out_from],
        "held-out": [r for r in records if r["id"] >= args.held_out_from],
        "all": records,
    }
    print(f"{len(exchanges)} exchanges, {len(records)} follow-up turns (turns 2-3), "
          f"{sum(r['lighter'] for r in records)} answered on the lighter reading (a second search)")
    print("| part | turns | R@5 without | R@5 with | R@5 full | acc. without | acc. with | acc. full |")
    print("|---|---|---|---|---|---|---|---|")
    for name, rows in parts.items():
        s = summarize(rows)
        print(f"| {name} | {len(rows)} | " + " | ".join(f"{s[c]['R@5']:.3f}" for c in CONDITIONS) + " | "
              + " | ".join(f"{s[c]['accuracy']:.3f}" for c in CONDITIONS) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
