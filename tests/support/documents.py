"""Build what document tests need: a seed duty's Drafting, the real templates, and a way to reopen a .docx."""

from __future__ import annotations

import datetime as dt
import io

import docx
import docx.document

from engine.bootstrap import Templates, load_rules, load_templates
from engine.config import Settings
from engine.domain.drafting.compose import Drafting
from engine.domain.drafting.history import History
from engine.services.documents import drafting_for, find_duty

TODAY = dt.date(2007, 9, 28)
SAMPLE = "sfb2007-129-02-02-1-caizheng"  # led by 市财政局, co-drafted with 市贸工局 (会同贸工等部门)


def templates() -> Templates:
    return load_templates(Settings().resolved())


def drafting(duty_id: str = SAMPLE, history: History | None = None, *, demo: bool = False) -> Drafting:
    rules = load_rules(Settings(demo_contacts=demo).resolved())
    catalogue, duty = find_duty(rules.catalogues(), duty_id)
    return drafting_for(
        catalogue,
        duty,
        registry=rules.registry,
        calendar=rules.calendar,
        today=TODAY,
        history=history or History(),
    )


def reopen(data: bytes) -> docx.document.Document:
    return docx.Document(io.BytesIO(data))
