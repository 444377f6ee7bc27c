"""Intake on ten State Council documents (tests/corpus/gov-cn-2018/), scored against their hand-made keys."""

from __future__ import annotations

import functools
import tomllib

import pytest

from engine.adapters.rules import read_notice
from engine.domain.departments import Registry
from engine.domain.intake.duties import Intake
from engine.domain.workdays import WorkCalendar
from engine.services.intake import intake
from tests.support.gov_corpus import CORPUS, Score, corpus_names, load_key, score_document
from tests.support.paths import RULES

GUOWUYUAN = Registry.from_data(
    tomllib.loads((RULES / "registries" / "guowuyuan-2018.toml").read_text("utf-8"))
)
NEGATIVES = [name for name in corpus_names() if not load_key(name)["duties"]]


def full_name(key: str) -> str:
    return GUOWUYUAN.get(key).name


@functools.cache
def read(name: str) -> Intake:
    path = CORPUS / f"{name}.txt"
    return intake(read_notice(path), registry=GUOWUYUAN, calendar=WorkCalendar(), source=str(path))


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
