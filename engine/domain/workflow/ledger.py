"""The 督办台账 (supervision ledger) of a notice as plain values: what a writer lays out as a spreadsheet.

Pure. The service (engine.services.exports) fills a `Ledger` from the notice board; a writer port, a
`Callable[[Ledger], bytes]` (engine.adapters.ledger with openpyxl), lays it out. The column headings live here,
so that every writer and the tests read the same ones.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from engine.domain.workflow.milestones import ORDER

# The columns before the milestones, and after them; each milestone has a planned and an actual column.
LEADING = ("编号", "任务", "牵头单位", "承办人", "会同单位", "完成时限", "状态")
TRAILING = ("剩余/逾期工作日", "风险", "进展情况", "备注")
STAGES = tuple(stage.value for stage in ORDER)  # 起草, 征求意见, 修改, 审查, 集体审议, 发布
PLANNED, ACTUAL = "计划", "实际"
OVERDUE, AT_RISK, ON_TRACK = "已逾期", "有风险", "正常"


@dataclass(frozen=True)
class LedgerRow:
    """One duty: its facts, each milestone planned and actual (in the order of `STAGES`, None when there is
    no date), and where it stands. `workdays_left` is negative once the last working day has passed."""

    number: str  # the item in the notice: 二(二)-1
    task: str
    lead: str
    officer: str
    co_departments: str
    deadline: dt.date | None
    state: str
    planned: tuple[dt.date | None, ...]
    actual: tuple[dt.date | None, ...]
    workdays_left: int | None
    risk: str  # OVERDUE, AT_RISK, ON_TRACK, or "" for a duty that has ended
    progress: str
    remarks: str

    @property
    def overdue(self) -> bool:
        return self.risk == OVERDUE

    @property
    def at_risk(self) -> bool:
        return self.risk == AT_RISK


@dataclass(frozen=True)
class Ledger:
    """A notice's ledger as of a day. `scope` says when the rows are only those the reader may see."""

    title: str
    as_of: dt.date
    rows: tuple[LedgerRow, ...]
    scope: str = ""


LedgerWriter = Callable[[Ledger], bytes]
