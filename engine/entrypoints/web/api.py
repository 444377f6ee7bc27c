"""The JSON API under /api/v1/: the same reads and actions as the pages, in the same JSON as the CLI's --json,
with the same error groups (as `{"error": group, "message": …}` and the same statuses).

Authentication is the portal's session cookie. A state-changing call also sends the session's CSRF token in
the `X-CSRF-Token` header (a page's forms carry it; `GET /api/v1/session` gives it to a script that logged in),
so that another site cannot make a logged-in browser act.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from engine.entrypoints.views_json import board_json, page_json, tasks_json
from engine.entrypoints.web.actions import ACTIONS, Submitted, run_action
from engine.entrypoints.web.app import portal_of
from engine.errors import InvalidInput, NotFound
from engine.services.board import notice_board, tasks_for
from engine.services.pages import duty_page

router = APIRouter(prefix="/api/v1")


class UnknownAction(NotFound):
    def __init__(self, action: str) -> None:
        super().__init__(f"没有该操作：{action}")


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


@router.post("/duties/{duty_id}/actions/{action}")
async def act(request: Request, duty_id: str, action: str) -> JSONResponse:
    """Take one action. The body is a JSON object of the action's form fields (as the duty page's forms name
    them) with `version`, the duty's row version the caller read; an upload takes the page's form instead."""
    from engine.entrypoints.web.pages import check_csrf

    portal = portal_of(request)
    viewer, user = await run_in_threadpool(portal.user, request)
    check_csrf(viewer, request.headers.get("x-csrf-token"))
    if action not in ACTIONS:
        raise UnknownAction(action)
    try:
        body = await request.json()
    except ValueError:
        raise InvalidInput("请求体须为 JSON 对象") from None
    if not isinstance(body, dict):
        raise InvalidInput("请求体须为 JSON 对象")
    version = body.pop("version", None)
    if version is not None and (not isinstance(version, int) or isinstance(version, bool)):
        raise InvalidInput("version 须为整数")
    fields = {str(k): _text(v) for k, v in body.items() if v is not None}
    form = Submitted(duty_id, fields, (), user.id, portal.now(), version)
    outcome = await run_in_threadpool(run_action, action, form, portal.workflow)
    return JSONResponse(
        {"duty_id": outcome.duty_id, "state": outcome.state.value, "version": outcome.version},
        status_code=200,
    )


def _text(value: object) -> str:
    """A JSON value as the form field it stands for: true and false as a checkbox sends them."""
    if isinstance(value, bool):
        return "1" if value else "0"
    return value if isinstance(value, str) else str(value)
