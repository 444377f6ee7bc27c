"""One duty of the seed as the tests build it by hand: 市财政局's 资助办法, 二（二）, consulting two departments."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

from engine.domain.intake.specs import DutySpec, Track

SAMPLE_SPEC = DutySpec(
    id="sfb2007-129-02-02-1-caizheng",
    ref="深府办〔2007〕129号 二（二） 市财政局",
    location="二（二）",
    lead_as_written="市财政局",
    lead="caizheng",
    co_departments_as_written=("市贸工局",),
    co_departments=("maogong",),
    co_open=False,
    text="市财政局会同市贸工局制定服务外包人才培训资助办法",
    document="服务外包人才培训资助办法",
    title="深圳市服务外包人才培训资助办法",
    kind="办法",
    track=Track.NORMATIVE,
    basis=("《若干规定》第二十条",),
    deadline=dt.date(2007, 12, 31),
    last_working_day=dt.date(2007, 12, 29),
    recurring=None,
    drafting=True,
    consultees=("maogong", "renshi"),
    officer="li.si@caizheng.example",
)


def sample_spec(**changes: Any) -> DutySpec:
    """The sample duty's spec, with the fields named in `changes` changed."""
    return replace(SAMPLE_SPEC, **changes)
