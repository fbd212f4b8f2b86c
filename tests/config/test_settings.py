"""Settings read from the environment."""

from pathlib import Path

import pytest

from config.settings import Settings

OPTIONAL_PATHS = ("QUERY_ADAPTER", "FUSION_MODEL", "RERANKER_DIR", "CONFIDENCE_MODEL")


@pytest.mark.parametrize("name", OPTIONAL_PATHS)
def test_an_empty_optional_path_means_unset(monkeypatch, name):
    monkeypatch.setenv(name, "")
    assert getattr(Settings(), name.lower()) is None


@pytest.mark.parametrize("name", OPTIONAL_PATHS)
def test_a_given_optional_path_is_kept(monkeypatch, name):
    monkeypatch.setenv(name, "var/some.file")
    assert getattr(Settings(), name.lower()) == Path("var/some.file")
