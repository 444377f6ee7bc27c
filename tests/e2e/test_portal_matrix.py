"""Who may do what, over HTTP: every person of the seed's cast × every action, on a duty in consultation whose
one consulted department (市贸工局) has replied. Each cell is the status the portal answers: 303 done, 403 the
person's role or department may not, 409 not in this state. A refusal changes nothing.

The table is written out from the procedure (domain.md §2 and §5), not read from `allowed_actions`.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from engine.bootstrap import open_workflow, password_hasher
from engine.config import Settings
from engine.domain.workflow.consultation import OpinionInput
from engine.services import workflow as wf
from engine.services.accounts import set_password
from tests.support.docx_fixtures import made_by_python_docx
from tests.support.portal import PASSWORD, SHANGHAI, Clock, client, csrf_of, log_in
from tests.support.workflows import SAMPLE

TITLE = "深圳市服务外包人才培训资助资金使用和监管办法"
REVISION = made_by_python_docx(TITLE, "第一条　为了规范资助资金管理，制定本办法。")
OPINION = f"{SAMPLE}.r1.maogong.1"
FIELDS: dict[str, dict[str, str]] = {
    "reply": {"text_1": "无其他意见。"},
    "reply_for": {"department": "maogong", "text_1": "纸质答复。"},
    "decide": {"opinion": OPINION, "decision": "采纳", "reason": "已补充"},
    "review": {"outcome": "合法", "opinion": ""},
    "deliberate": {"approved": "1"},
    "publish": {"number": "深府〔2007〕1号", "published_on": "2007-12-20", "effective_on": "2008-01-01"},
    "file": {"filed_on": "2007-12-25"},
    "extend": {"deadline": "2008-01-31", "reason": "需补充调研"},
    "reassign": {"lead": "keji", "reason": "职能调整"},
    "withdraw": {"reason": "不再制定"},
    "forward": {"reason": "报市人大"},
}
A, R, S = 303, 403, 409  # done; role or department may not; not in this state
ACTIONS = (
    "start", "upload", "open_consultation", "reply", "reply_for", "close_consultation", "decide", "submit",
    "review", "deliberate", "publish", "forward", "file", "extend", "reassign", "withdraw",
)  # fmt: skip
MATRIX = {
    # An administrator may do what the lead department and the coordinating office may; 市贸工局 (the admin's
    # department) has answered already, and nothing of review, deliberation or publication is due yet.
    "admin": (S, S, S, S, S, A, A, S, S, S, S, S, S, A, A, A),
    # The lead department's officer closes the round and decides the opinions; a reply, the review, the
    # deliberation and the coordinating office's changes are not the lead's.
    "zhang": (S, S, S, R, S, A, A, S, R, R, S, S, S, R, R, R),
    # 市贸工局's contact has replied: a second reply is refused by the state, and so is a reply "for" their own
    # department, which is a reply; nothing else is theirs.
    "li": (R, R, R, S, S, R, R, R, R, R, R, R, R, R, R, R),
    # 市公安局's officer has nothing to do with this duty.
    "wang": (R, R, R, R, R, R, R, R, R, R, R, R, R, R, R, R),
    # The legal office reviews, but only once the draft is submitted.
    "fa": (R, R, R, R, R, R, R, R, S, R, R, R, R, R, R, R),
    # The coordinating office starts duties and deliberates (neither is due now), extends, reassigns, withdraws.
    "office": (S, R, R, R, R, R, R, R, R, S, R, R, R, A, A, A),
}
PEOPLE = tuple(MATRIX)


@pytest.fixture(scope="module")
def consulting(portal_var: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample duty started, consulted, and answered by 市贸工局 with one opinion; admin has a password."""
    folder = tmp_path_factory.mktemp("matrix") / "var"
    shutil.copytree(portal_var, folder)
    workflow = open_workflow(Settings(data_dir=folder).resolved())
    ports, dispatcher = workflow.ports, workflow.dispatcher
    moment = dt.datetime(2007, 9, 12, 9, tzinfo=SHANGHAI)
    set_password("admin", PASSWORD, now=moment, ports=ports, hasher=password_hasher())
    wf.start_duty(SAMPLE, actor="zhang", now=moment, ports=ports, dispatcher=dispatcher)
    wf.open_consultation(SAMPLE, actor="zhang", now=moment, ports=ports, dispatcher=dispatcher)
    wf.record_opinion(
        SAMPLE, (OpinionInput("第二条", "建议写明审计主体。"),), actor="li", now=moment, ports=ports
    )
    workflow.db_engine.dispose()
    return folder


def _post(c: TestClient, action: str, token: str, version: int) -> int:
    files = {"draft": ("修改稿.docx", REVISION, "application/octet-stream")} if action == "upload" else None
    data = {"csrf": token, "version": str(version), **FIELDS.get(action, {})}
    return c.post(f"/duties/{SAMPLE}/actions/{action}", data=data, files=files).status_code


def _standing(folder: Path) -> tuple[str, int, int]:
    workflow = open_workflow(Settings(data_dir=folder).resolved())
    try:
        with workflow.ports.reading() as uow:
            duty = uow.duties.get(SAMPLE)
        return duty.state.value, duty.version, len(duty.events)
    finally:
        workflow.db_engine.dispose()


def _session(folder: Path, person: str) -> tuple[TestClient, str]:
    c = client(folder, Clock("2007-09-12T10:00"))
    log_in(c, person)
    return c, csrf_of(c.get("/tasks").text)


@pytest.mark.parametrize("person", PEOPLE)
def test_every_refusal_is_403_or_409_as_the_procedure_says_and_changes_nothing(
    consulting: Path, tmp_path: Path, person: str
) -> None:
    folder = tmp_path / "var"
    shutil.copytree(consulting, folder)
    before = _standing(folder)
    c, token = _session(folder, person)
    got = {
        a: _post(c, a, token, before[1]) for a, want in zip(ACTIONS, MATRIX[person], strict=True) if want != A
    }
    want = {a: w for a, w in zip(ACTIONS, MATRIX[person], strict=True) if w != A}
    assert got == want
    assert _standing(folder) == before


@pytest.mark.parametrize(
    ("person", "action"),
    [(p, a) for p in PEOPLE for a, w in zip(ACTIONS, MATRIX[p], strict=True) if w == A],
)
def test_every_allowed_action_is_done_and_offered_as_a_form(
    consulting: Path, tmp_path: Path, person: str, action: str
) -> None:
    folder = tmp_path / "var"
    shutil.copytree(consulting, folder)
    before = _standing(folder)
    c, token = _session(folder, person)
    assert f'data-action="{action}"' in c.get(f"/duties/{SAMPLE}").text
    assert _post(c, action, token, before[1]) == A
    assert _standing(folder)[1] > before[1]
