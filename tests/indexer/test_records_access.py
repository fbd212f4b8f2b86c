"""Lifecycle status on a given day, visibility, and the filter predicates every backend applies."""

import pytest

from indexer.records import Document, SearchFilters, Status, readable_by, status_on


def _doc(**fields) -> Document:
    return Document(doc_id=fields.pop("doc_id", "d1"), title="t", text="x", source="s", **fields)


@pytest.mark.parametrize(
    ("fields", "day", "expected"),
    [
        ({}, "2020-01-01", Status.IN_FORCE),
        ({"effective_from": "2019-03-01"}, "2019-02-28", Status.PENDING),
        ({"effective_from": "2019-03-01"}, "2019-03-01", Status.IN_FORCE),
        ({"effective_to": "2020-12-31"}, "2020-12-31", Status.IN_FORCE),
        ({"effective_to": "2020-12-31"}, "2021-01-01", Status.EXPIRED),
        ({"effective_to": "2020-12-31", "status": "已废止"}, "2021-01-01", Status.REPEALED),
        ({"effective_to": "2020-12-31", "status": "已废止"}, "2020-06-01", Status.IN_FORCE),
        ({"status": "已修订"}, "2001-01-01", Status.REVISED),  # ended, end date unknown
        ({"status": "尚未施行", "effective_from": "2001-01-01"}, "2002-01-01", Status.IN_FORCE),
    ],
)
def test_status_on_a_day(fields, day, expected):
    assert status_on(_doc(**fields), day) == expected


def test_visibility_and_groups():
    public, hr = _doc(), _doc(visibility=["hr"])
    assert readable_by(public, frozenset()) and readable_by(hr, None)
    assert not readable_by(hr, frozenset()) and not readable_by(hr, frozenset({"finance"}))
    assert readable_by(hr, frozenset({"finance", "hr"}))


def test_filters_admit_by_access_and_lifecycle():
    repealed = _doc(status="已废止", effective_to="2019-02-28")
    anonymous = SearchFilters(groups=frozenset(), lifecycle="hide")
    assert not anonymous.admits(repealed)
    assert SearchFilters(groups=frozenset(), lifecycle="hide", as_of="2018-05-01").admits(repealed)
    assert SearchFilters(lifecycle="demote").admits(repealed)
    assert not SearchFilters(as_of="2019-03-01").admits(repealed), "as_of means: what applied that day"
    assert not SearchFilters(groups=frozenset({"finance"})).admits(_doc(visibility=["hr"]))
    assert SearchFilters(groups=frozenset(), lifecycle="hide").is_empty()
    assert not SearchFilters(doc_number="青政〔2017〕1号").accepts_document(_doc())


def test_documents_written_before_the_new_fields_still_load():
    old = {"doc_id": "a", "title": "t", "text": "x", "source": "s", "doc_number": "", "issuer": "", "date": "",
           "kind": "document", "metadata": {}}
    doc = Document.from_dict(old)
    assert doc.status == "现行有效" and doc.visibility == [] and doc.supersedes == []
