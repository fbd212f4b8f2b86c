"""Answer quality over the dev set through /v1/ask (acceptance of the service issue)."""

import re

import pytest

from evaluation.gold import read_gold
from evaluation.relevance import contains_answer
from tests.conftest import DEV_SET

pytestmark = pytest.mark.slow
_SEGMENT = re.compile(r"(.*?)\[(\d+)\]", re.S)


@pytest.fixture(scope="module")
def answers(client):
    out = []
    for q in read_gold(DEV_SET):
        response = client.post("/v1/ask", json={"question": q.question})
        assert response.status_code == 200, response.text
        out.append((q, response.json()))
    return out


def test_answers_contain_the_gold_key_string(answers):
    answerable = [(q, a) for q, a in answers if q.answerable]
    correct = sum(contains_answer(a["answer"], q.answer) for q, a in answerable)
    assert correct / len(answerable) >= 0.80, f"{correct}/{len(answerable)}"


def test_answerable_flag_rates(answers):
    answerable = [a for q, a in answers if q.answerable]
    unanswerable = [a for q, a in answers if not q.answerable]
    assert sum(a["answerable"] for a in answerable) / len(answerable) >= 0.90
    assert sum(not a["answerable"] for a in unanswerable) / len(unanswerable) >= 0.70


def test_every_answer_sentence_points_at_a_passage_containing_it(answers):
    checked = 0
    for q, a in answers:
        if not a["answerable"]:
            assert not _SEGMENT.search(a["answer"]), "a not-found answer cites nothing as evidence"
            continue
        by_n = {c["n"]: c for c in a["citations"]}
        segments = _SEGMENT.findall(a["answer"])
        assert segments, (q.id, a["answer"])
        assert "".join(seg + f"[{n}]" for seg, n in segments) == a["answer"], "no text outside marked sentences"
        for segment, n in segments:
            assert int(n) in by_n, (q.id, n)
            assert segment in by_n[int(n)]["text"], (q.id, segment)
            checked += 1
    assert checked >= 100
