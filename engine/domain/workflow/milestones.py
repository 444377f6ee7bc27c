"""Back-schedule a duty's stages from its deadline, in working days, and tell when it is at risk.

Pure. Each stage has a planned length and a minimum (domain.md §2):

    stage          planned   minimum
    起草 drafting    the rest  1
    征求意见        window    window (7 working days by default)
    修改 revision     5         1
    审查 review      15         5
    集体审议          3         1
    发布 publish      0         0     (by the last working day on or before the deadline)

A milestone is the day a stage must be done by. Backwards from the last working day: publish by it,
deliberation by it too (publishing follows the same day), review 3 working days earlier, revision 15 before
that, and so on. When a stage ends late, the later milestones are pushed forward from its actual end by their
planned lengths (never earlier than the back-scheduled date). A duty is at risk when the working days left are
fewer than the minimum its remaining stages need.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from engine.domain.workdays import WorkCalendar


class Stage(StrEnum):
    DRAFTING = "起草"
    CONSULTATION = "征求意见"
    REVISION = "修改"
    REVIEW = "审查"
    DELIBERATION = "集体审议"
    PUBLISH = "发布"


ORDER = tuple(Stage)


@dataclass(frozen=True)
class Plan:
    """Stage lengths in working days; the reply window is the consultation's length and minimum."""

    window: int = 7
    revision: int = 5
    review: int = 15
    deliberation: int = 3

    def planned(self, stage: Stage) -> int:
        return {
            Stage.DRAFTING: 0,
            Stage.CONSULTATION: self.window,
            Stage.REVISION: self.revision,
            Stage.REVIEW: self.review,
            Stage.DELIBERATION: self.deliberation,
            Stage.PUBLISH: 0,
        }[stage]

    def minimum(self, stage: Stage) -> int:
        return {
            Stage.DRAFTING: 1,
            Stage.CONSULTATION: self.window,
            Stage.REVISION: 1,
            Stage.REVIEW: 5,
            Stage.DELIBERATION: 1,
            Stage.PUBLISH: 0,
        }[stage]


def back_schedule(last_working_day: dt.date, calendar: WorkCalendar, plan: Plan) -> dict[Stage, dt.date]:
    """Give each stage the day it must end by, counting backwards from the last working day."""
    due: dict[Stage, dt.date] = {Stage.PUBLISH: last_working_day, Stage.DELIBERATION: last_working_day}
    later = Stage.DELIBERATION
    for stage in (Stage.REVIEW, Stage.REVISION, Stage.CONSULTATION, Stage.DRAFTING):
        due[stage] = calendar.add_workdays(due[later], -plan.planned(later))
        later = stage
    return {stage: due[stage] for stage in ORDER}


def milestones(
    last_working_day: dt.date, calendar: WorkCalendar, plan: Plan, ended: Mapping[Stage, dt.date]
) -> dict[Stage, dt.date]:
    """Recompute the milestones: back-scheduled, and pushed forward after any stage that ended late."""
    due = back_schedule(last_working_day, calendar, plan)
    previous: dt.date | None = None
    for stage in ORDER:
        if previous is not None and stage not in ended:
            pushed = calendar.on_or_after(calendar.add_workdays(previous, plan.planned(stage)))
            due[stage] = max(due[stage], pushed)
        previous = ended.get(stage, due[stage])
    return due


def at_risk(
    today: dt.date,
    last_working_day: dt.date,
    calendar: WorkCalendar,
    plan: Plan,
    remaining: tuple[Stage, ...],
) -> bool:
    """Tell whether the working days left after today are fewer than the remaining stages' minimum."""
    left = calendar.count_workdays(today + dt.timedelta(days=1), last_working_day)
    return left < sum(plan.minimum(stage) for stage in remaining)


def remaining_from(stage: Stage) -> tuple[Stage, ...]:
    """The stages from `stage` to the end, the current one included."""
    return ORDER[ORDER.index(stage) :]
