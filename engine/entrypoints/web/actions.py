"""Turn an action's form into one call of its service. No rule lives here: what may be done, by whom and when is
the services' to decide; this module only reads the fields a form sends and says which one is missing or
malformed (InvalidInput, so 422)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TypeVar

from engine.bootstrap import Workflow
from engine.domain.drafting.decisions import Decision, Legality
from engine.domain.workflow.consultation import OpinionInput
from engine.entrypoints.dates import typed_day
from engine.errors import InvalidInput
from engine.services import workflow as wf
from engine.services.workflow import REPLY

E = TypeVar("E", Decision, Legality)
OPINION_ROWS = (
    5  # the reply form's rows of (clause, text); a longer reply comes as an attachment or in rounds
)


@dataclass(frozen=True)
class Upload:
    """A file a form sent, read whole after its size was checked against the cap."""

    field: str
    filename: str
    data: bytes


@dataclass(frozen=True)
class Submitted:
    """One action's form: its fields, its files, who sends it and when."""

    duty_id: str
    fields: Mapping[str, str]
    files: tuple[Upload, ...]
    actor: str
    now: dt.datetime
    expected_version: int | None

    def text(self, name: str, *, required: bool = False, what: str = "") -> str:
        value = self.fields.get(name, "").strip()
        if required and not value:
            raise InvalidInput(f"请填写{what or name}")
        return value

    def day(self, name: str, what: str) -> dt.date:
        return typed_day(self.text(name, required=True, what=what), what)

    def choice(self, name: str, kind: type[E], what: str) -> E:
        value = self.text(name, required=True, what=what)
        try:
            return kind(value)
        except ValueError:
            raise InvalidInput(f"{what}须为 {'、'.join(k.value for k in kind)} 之一：{value}") from None


def _opinions(form: Submitted) -> tuple[tuple[OpinionInput, ...], tuple[tuple[int, bytes, str], ...]]:
    """The reply's opinions, row by row, and its attachments (all under the first opinion); 无意见 when the
    form says so and has no opinion in it."""
    rows = []
    for i in range(1, OPINION_ROWS + 1):
        clause, text = form.text(f"clause_{i}"), form.text(f"text_{i}")
        if text:
            rows.append(OpinionInput(clause, text))
        elif clause:
            raise InvalidInput(f"第 {i} 行只填了条款，没有意见内容")
    no_opinion = form.fields.get("none") == "1"
    if no_opinion and rows:
        raise InvalidInput("选择了“无意见”，又填写了意见：请只选其一")
    if not no_opinion and not rows:
        raise InvalidInput("请填写意见，或选择“无意见”")
    # With opinions, the files go with the first of them; a 无意见 reply carries them as a whole (its letter).
    index = 0 if rows else REPLY
    files = tuple((index, f.data, f.filename) for f in form.files if f.field == "attachments")
    return tuple(rows), files


def _reply(form: Submitted, workflow: Workflow, department: str | None) -> wf.Outcome:
    opinions, files = _opinions(form)
    return wf.record_opinion(
        form.duty_id,
        opinions,
        actor=form.actor,
        now=form.now,
        ports=workflow.ports,
        department=department,
        files=files,
        expected_version=form.expected_version,
    )


def _upload(form: Submitted, workflow: Workflow) -> wf.Outcome:
    draft = next((f for f in form.files if f.field == "draft"), None)
    if draft is None:
        raise InvalidInput("请选择要上传的修改稿（.docx）")
    return wf.upload_draft(
        form.duty_id,
        draft.data,
        draft.filename,
        actor=form.actor,
        now=form.now,
        ports=workflow.ports,
        dispatcher=workflow.dispatcher,
        expected_version=form.expected_version,
    )


def _plain(service: Callable[..., wf.Outcome]) -> Callable[[Submitted, Workflow], wf.Outcome]:
    """An action that takes nothing but the duty (start, consult, close, submit)."""

    def run(form: Submitted, workflow: Workflow) -> wf.Outcome:
        return service(
            form.duty_id,
            actor=form.actor,
            now=form.now,
            ports=workflow.ports,
            dispatcher=workflow.dispatcher,
            expected_version=form.expected_version,
        )

    return run


def _common(form: Submitted, workflow: Workflow) -> dict[str, object]:
    return {
        "actor": form.actor,
        "now": form.now,
        "ports": workflow.ports,
        "expected_version": form.expected_version,
    }


def _dispatching(form: Submitted, workflow: Workflow) -> dict[str, object]:
    return _common(form, workflow) | {"dispatcher": workflow.dispatcher}


ACTIONS: dict[str, Callable[[Submitted, Workflow], wf.Outcome]] = {
    "start": _plain(wf.start_duty),
    "upload": _upload,
    "open_consultation": _plain(wf.open_consultation),
    "reply": lambda f, w: _reply(f, w, None),
    "reply_for": lambda f, w: _reply(f, w, f.text("department", required=True, what="答复单位")),
    "close_consultation": _plain(wf.close_consultation),
    "decide": lambda f, w: wf.decide_opinion(
        f.duty_id,
        f.text("opinion", required=True, what="意见编号"),
        f.choice("decision", Decision, "处理结果"),
        f.text("reason"),
        **_common(f, w),  # type: ignore[arg-type]
    ),
    "submit": _plain(wf.submit_for_review),
    "review": lambda f, w: wf.record_review(
        f.duty_id,
        f.choice("outcome", Legality, "审核结论"),
        f.text("opinion"),
        **_dispatching(f, w),  # type: ignore[arg-type]
    ),
    "deliberate": lambda f, w: wf.deliberate(
        f.duty_id,
        f.text("approved", required=True, what="审议结果") == "1",
        f.text("reason"),
        **_dispatching(f, w),  # type: ignore[arg-type]
    ),
    "publish": lambda f, w: wf.publish(
        f.duty_id,
        f.text("number", required=True, what="文号"),
        f.day("published_on", "发布日期"),
        f.day("effective_on", "施行日期"),
        **_dispatching(f, w),  # type: ignore[arg-type]
    ),
    "forward": lambda f, w: wf.forward(
        f.duty_id,
        f.text("reason"),
        **_dispatching(f, w),  # type: ignore[arg-type]
    ),
    "file": lambda f, w: wf.file_duty(
        f.duty_id,
        f.day("filed_on", "备案日期"),
        **_dispatching(f, w),  # type: ignore[arg-type]
    ),
    "extend": lambda f, w: wf.extend_deadline(
        f.duty_id,
        f.day("deadline", "新的期限"),
        f.text("reason", required=True, what="延期理由"),
        **_common(f, w),  # type: ignore[arg-type]
    ),
    "reassign": lambda f, w: wf.reassign(
        f.duty_id,
        f.text("lead", required=True, what="新的牵头部门"),
        f.text("reason", required=True, what="调整理由"),
        officer=f.text("officer"),
        **_common(f, w),  # type: ignore[arg-type]
    ),
    "withdraw": lambda f, w: wf.withdraw(
        f.duty_id,
        f.text("reason", required=True, what="撤回理由"),
        **_common(f, w),  # type: ignore[arg-type]
    ),
}


def run_action(action: str, form: Submitted, workflow: Workflow) -> wf.Outcome:
    """Take the action the form names; an action nobody knows is a 404 for the route, not a rule."""
    return ACTIONS[action](form, workflow)
