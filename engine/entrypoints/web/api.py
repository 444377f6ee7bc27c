"""The JSON API under /api/v1/: the same reads and actions as the pages, in the same JSON as the CLI's --json,
with the same error groups (as `{"error": group, "message": …}` and the same statuses).

Authentication is the portal's session cookie. A state-changing call also sends the session's CSRF token in
the `X-CSRF-Token` header (a page's forms carry it; `GET /api/v1/session` gives it to a script that logged in),
so that another site cannot make a logged-in browser act.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Body, File, Form, Request, UploadFile
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from engine.domain.drafting.decisions import Decision, Legality
from engine.domain.workflow.access import ACTIONS
from engine.entrypoints.views_json import board_json, page_json, tasks_json
from engine.entrypoints.web.actions import Submitted, run_action
from engine.entrypoints.web.app import portal_of
from engine.services.board import notice_board, tasks_for
from engine.services.pages import duty_page

router = APIRouter(prefix="/api/v1")


@router.get("/session")
def session(request: Request) -> dict[str, Any]:
    """Who is logged in, and the CSRF token their calls that change something must send."""
    portal = portal_of(request)
    viewer, user = portal.user(request)
    return {"user": user.id, "name": user.name, "department": user.department, "csrf": viewer.session.csrf}


@router.get("/tasks")
def tasks(request: Request) -> dict[str, Any]:
    portal = portal_of(request)
    _, user = portal.user(request)
    today = portal.today()
    return tasks_json(tasks_for(user.id, today, ports=portal.workflow.ports), user.id, today)


@router.get("/notices/{notice_id}")
def notice(request: Request, notice_id: str) -> dict[str, Any]:
    portal = portal_of(request)
    _, user = portal.user(request)
    board = notice_board(notice_id, portal.today(), ports=portal.workflow.ports, user_id=user.id)
    return board_json(board, user.id)


@router.get("/duties/{duty_id}")
def duty(request: Request, duty_id: str) -> dict[str, Any]:
    portal = portal_of(request)
    _, user = portal.user(request)
    today = portal.today()
    return page_json(duty_page(duty_id, user.id, today, ports=portal.workflow.ports), user.id, today)


class ActionBody(BaseModel):
    """An action's fields, as the duty page's forms name them; each action reads the ones it needs."""

    model_config = ConfigDict(extra="forbid")

    version: int | None = Field(
        default=None, description="the duty's row version the caller read (stale: 409)"
    )
    none: bool | None = Field(default=None, description="reply: 无意见")
    department: str | None = Field(default=None, description="reply_for: the consulted department's key")
    opinion: str | None = Field(
        default=None, description="decide: the opinion's id; review: the legal office's opinion"
    )
    decision: Decision | None = None
    reason: str | None = None
    outcome: Legality | None = None
    approved: bool | None = Field(default=None, description="deliberate: approved, or returned")
    number: str | None = Field(default=None, description="publish: 文号")
    published_on: str | None = Field(default=None, description="publish: YYYY-MM-DD")
    effective_on: str | None = Field(default=None, description="publish: YYYY-MM-DD")
    filed_on: str | None = Field(default=None, description="file: YYYY-MM-DD")
    deadline: str | None = Field(default=None, description="extend: the new deadline, YYYY-MM-DD")
    lead: str | None = Field(default=None, description="reassign: the new lead department's key")
    officer: str | None = None
    clause_1: str | None = None
    text_1: str | None = None
    clause_2: str | None = None
    text_2: str | None = None
    clause_3: str | None = None
    text_3: str | None = None
    clause_4: str | None = None
    text_4: str | None = None
    clause_5: str | None = None
    text_5: str | None = None


# Every action but the upload of a draft, which sends a file (POST …/upload); named as the access rules name them.
ApiAction = StrEnum("ApiAction", [(a, a) for a in ACTIONS if a != "upload"])  # type: ignore[misc]


class Done(BaseModel):
    id: str
    state: str
    version: int


@router.post("/duties/{duty_id}/actions/{action}", response_model=Done)
def act(
    request: Request,
    duty_id: str,
    action: ApiAction,
    body: Annotated[ActionBody | None, Body()] = None,
) -> Done:
    """Take one action (an upload of a draft is POST …/upload). With the session cookie, send
    its CSRF token as `X-CSRF-Token`; an API token needs none."""
    from engine.entrypoints.web.pages import check_csrf

    portal = portal_of(request)
    viewer, user = portal.user(request)
    check_csrf(viewer, request.headers.get("x-csrf-token"))
    given = (body or ActionBody()).model_dump(exclude_none=True)
    version = given.pop("version", None)
    fields = {k: _text(v) for k, v in given.items()}
    form = Submitted(duty_id, fields, (), user.id, portal.now(), version)
    outcome = run_action(str(action.value), form, portal.workflow)
    return Done(id=outcome.duty_id, state=outcome.state.value, version=outcome.version)


@router.post("/duties/{duty_id}/upload", response_model=Done)
async def upload(
    request: Request,
    duty_id: str,
    draft: Annotated[UploadFile, File(description="the revised draft, .docx, at most 20 MB")],
    version: Annotated[int | None, Form()] = None,
) -> Done:
    """Upload a revised draft (multipart/form-data, field `draft`), as the duty page's form does; the same checks
    as the CLI's `banfa upload`."""
    from engine.entrypoints.web.pages import check_csrf, read_upload

    portal = portal_of(request)
    viewer, user = await run_in_threadpool(portal.user, request)
    check_csrf(viewer, request.headers.get("x-csrf-token"))
    form = Submitted(duty_id, {}, (await read_upload("draft", draft),), user.id, portal.now(), version)
    outcome = await run_in_threadpool(run_action, "upload", form, portal.workflow)
    return Done(id=outcome.duty_id, state=outcome.state.value, version=outcome.version)


def _text(value: object) -> str:
    """A JSON value as the form field it stands for: true and false as a checkbox sends them."""
    if isinstance(value, bool):
        return "1" if value else "0"
    return value.value if isinstance(value, (Decision, Legality)) else str(value)
