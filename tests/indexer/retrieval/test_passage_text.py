"""What the dense encoder and BM25 see of a chunk, for every DENSE_TEXT choice."""

import pytest

from config import Settings
from indexer.records import Chunk
from indexer.retrieval.passage_text import DENSE_TEXTS, bm25_text, dense_text

CHUNK = Chunk(
    chunk_id="c1", doc_id="d1", doc_title="关于进一步做好民生工作的通知", doc_number="青政办〔2017〕13号", issuer="",
    date="", heading_path=["关于进一步做好民生工作的通知", "一、社会保障", "（二）养老保险"],
    text="城乡居民基础养老金月人均标准提高15元。", start=0, end=20,
)
BARE = Chunk(chunk_id="c2", doc_id="d1", doc_title="", doc_number="", issuer="", date="",
             heading_path=["通知"], text="各市、自治州人民政府：", start=0, end=11)


@pytest.mark.parametrize(("recipe", "expected"), [
    ("title_path_text", "关于进一步做好民生工作的通知\n一、社会保障 （二）养老保险\n"
                        "城乡居民基础养老金月人均标准提高15元。"),
    ("path_text", "一、社会保障 （二）养老保险\n城乡居民基础养老金月人均标准提高15元。"),
    ("heading_text", "（二）养老保险\n城乡居民基础养老金月人均标准提高15元。"),
    ("text", "城乡居民基础养老金月人均标准提高15元。"),
])
def test_each_choice_embeds_its_parts(recipe, expected):
    assert dense_text(CHUNK, recipe) == expected


@pytest.mark.parametrize("recipe", list(DENSE_TEXTS))
def test_missing_parts_leave_no_empty_lines(recipe):
    assert dense_text(BARE, recipe) == "各市、自治州人民政府："


def test_an_unknown_choice_names_the_valid_ones():
    with pytest.raises(ValueError, match=r"'title_text'.*title_path_text, path_text, heading_text, text"):
        dense_text(CHUNK, "title_text")


def test_the_setting_offers_exactly_the_choices_dense_text_knows():
    field = Settings.model_fields["dense_text"]
    assert set(field.annotation.__args__) == set(DENSE_TEXTS)
    assert field.default in DENSE_TEXTS


def test_bm25_keeps_title_number_and_path():
    assert bm25_text(CHUNK) == ("关于进一步做好民生工作的通知\n青政办〔2017〕13号\n一、社会保障 （二）养老保险\n"
                                "城乡居民基础养老金月人均标准提高15元。")
