"""Quality gate on the revision chains: the version in force is cited, ended ones carry the note."""

import pytest

from evaluation.lifecycle_eval import run_lifecycle

pytestmark = pytest.mark.slow


def test_answers_cite_the_version_in_force_on_every_chain(test_settings, onnx_encoder):
    (report,) = run_lifecycle(test_settings, onnx_encoder, policies=("hide",))
    assert report.questions >= 30
    assert report.in_force_cited >= 0.95, report.misses
    assert report.current_cited >= 0.95, report.misses
    assert report.ended_citations > 0 and report.notes_on_ended == 1.0
    assert report.as_of_top == 1.0, report.misses
