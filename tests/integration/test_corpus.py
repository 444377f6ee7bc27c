"""Notices intake has never been tuned on: each against its own answer key (tests/notices/)."""

from __future__ import annotations

import pytest

from tests.support.corpus import compare, corpus_names, notice_differences


def test_the_corpus_covers_several_wordings() -> None:
    assert len(corpus_names()) >= 5


@pytest.mark.parametrize("name", corpus_names())
def test_an_unseen_notice_gives_exactly_its_drafting_duties(name: str) -> None:
    result = compare(name)
    assert notice_differences(result) == []
    assert [f"{m['lead']} {m['document']}" for m in result.missing] == []
    assert [f"{d.location} {d.lead_as_written} {d.document}" for d in result.extra] == []
    assert result.wrong == []


@pytest.mark.parametrize("name", corpus_names())
def test_departments_the_registry_lacks_are_kept_as_written_with_a_warning(name: str) -> None:
    result = compare(name)
    unknown = result.expected.get("unknown", [])
    for name_as_written in unknown:
        assert any(name_as_written in w for w in result.result.warnings)
        duties = [d for d in result.result.drafting if d.lead_as_written == name_as_written]
        assert duties and all(d.lead is None for d in duties)
    if not unknown:
        assert not [w for w in result.result.warnings if "部门名录中没有" in w]


def test_a_notice_without_drafting_duties_yields_none() -> None:
    empty = [n for n in corpus_names() if not compare(n).expected.get("duty")]
    assert empty
    for name in empty:
        result = compare(name).result
        assert result.drafting == () and result.duties
