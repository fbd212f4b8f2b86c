"""Quality gate on the held-out half of the follow-up dev set (f033–f064), with the real model.

The acceptance of follow-up completion: turn-2/3 R@5 and answer key accuracy with completion
at least 0.15 above the follow-up asked as typed, and within 0.05 of the same questions asked
in full. The completion rules are fitted looking at f001–f032 only.
"""

import pytest

from evaluation.followup_eval import DEFAULT_GOLD, HELD_OUT_FROM, load, replay, summarize
from service.answering import Answerer

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def held_out(gazette_index, test_settings):
    answerer = Answerer(test_settings.model_copy(update={"llm_base_url": ""}))
    exchanges = [ex for ex in load(DEFAULT_GOLD) if ex["id"] >= HELD_OUT_FROM]
    return summarize([r for ex in exchanges for r in replay(gazette_index, answerer, ex)])


@pytest.mark.parametrize("measure", ["R@5", "accuracy"])
def test_completion_lifts_the_held_out_follow_ups(held_out, measure):
    assert held_out["with"][measure] >= held_out["without"][measure] + 0.15, held_out


@pytest.mark.parametrize("measure", ["R@5", "accuracy"])
def test_completed_follow_ups_come_within_005_of_asking_in_full(held_out, measure):
    assert held_out["with"][measure] >= held_out["full"][measure] - 0.05, held_out
