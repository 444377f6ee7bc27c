"""Intake on ten State Council documents (tests/corpus/gov-cn-2018/), scored against their hand-made keys."""

from __future__ import annotations

import functools
from pathlib import Path

import pytest

from engine.adapters.rules import load_registries, read_notice
from engine.domain.intake.duties import Intake
from engine.domain.intake.notice import header
from engine.domain.workdays import WorkCalendar
from engine.errors import NoticeError
from engine.services.intake import intake
from tests.support.gov_corpus import CORPUS, Score, corpus_names, load_key, score_document
from tests.support.paths import RULES

REGISTRIES = load_registries(RULES)
NEGATIVES = [name for name in corpus_names() if not load_key(name)["duties"]]
POOL = sorted((CORPUS / "all_rows").glob("*.txt"))


def full_name(key: str) -> str:
    return REGISTRIES.combined.get(key).name


def read_path(path: Path) -> Intake:
    """Intake as `banfa intake` does it: with the registry the notice's issuer or 文号 calls for."""
    text = read_notice(path)
    registry = REGISTRIES.for_notice(*header(text))
    return intake(text, registry=registry, calendar=WorkCalendar(), source=str(path))


@functools.cache
def read(name: str) -> Intake:
    return read_path(CORPUS / f"{name}.txt")


def test_every_state_council_document_is_read_with_the_state_council_registry() -> None:
    assert {read(name).registry for name in corpus_names()} == {"guowuyuan-2018"}


@pytest.mark.parametrize("path", POOL, ids=[p.stem for p in POOL])
def test_every_document_of_the_unlabelled_pool_gives_unique_ids_or_a_clear_error(path: Path) -> None:
    try:
        result = read_path(path)
    except NoticeError as exc:
        assert str(path) in str(exc)
        return
    ids = [d.id for d in result.duties]
    assert len(ids) == len(set(ids))
    assert all(d.evidence for d in result.drafting)
    assert all(d.lead is None for d in result.drafting if d.generic)


def test_the_corpus_meets_the_goal() -> None:
    score = Score([score_document(name, read(name), full_name) for name in corpus_names()])
    found, keyed = score.deadlines
    assert score.f1 >= 0.90 and score.strays_on_negatives == 0 and found == keyed, score.report()


@pytest.mark.parametrize("name", corpus_names())
def test_each_document_parses_with_its_number_and_title(name: str) -> None:
    key, notice = load_key(name), read(name).notice
    assert notice.number == key["number"]
    if key.get("title"):
        assert notice.title == key["title"]


@pytest.mark.parametrize("name", NEGATIVES)
def test_a_document_without_drafting_duties_yields_none(name: str) -> None:
    assert [f"{d.location} {d.lead_as_written} {d.document}" for d in read(name).drafting] == []
