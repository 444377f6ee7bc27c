"""The portal's pages: login, my tasks, a notice, a duty with a form for every action the person may take, and
downloads. Each handler reads the session, calls one service and renders its result."""

from __future__ import annotations

from pathlib import PurePath
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import FileResponse, RedirectResponse, Response
from starlette.datastructures import UploadFile as StarletteUpload

from engine.domain.drafting.decisions import Decision, Legality
from engine.domain.drafting.reading import MAX_DRAFT_BYTES
from engine.domain.workflow.access import ACTIONS as ACTION_ORDER
from engine.domain.workflow.access import label
from engine.entrypoints.web import charts
from engine.entrypoints.web.actions import ACTIONS, OPINION_ROWS, Submitted, Upload, run_action
from engine.entrypoints.web.app import CSP_CHARTS, Portal, Viewer, portal_of, safe_next
from engine.entrypoints.web.errors import message_of, status_of
from engine.errors import Conflict, EngineError, Forbidden, InvalidInput, LoginRefused
from engine.services import accounts
from engine.services.board import SEARCH_LIMIT, notice_page, search_duties, tasks_for
from engine.services.documents import MAX_ATTACHMENT_BYTES
from engine.services.exports import (
    COMPARABLE,
    Export,
    compare_versions,
    export_document,
    ledger,
    reviewer_bundle,
)
from engine.services.pages import duty_page

router = APIRouter()
# The services' own caps, applied here while the bytes arrive, before anything parses them.
DRAFT_CAP = MAX_DRAFT_BYTES
ATTACHMENT_CAP = MAX_ATTACHMENT_BYTES
CHUNK = 1024 * 1024
NOTICE_PAGE = 100  # duties a notice page lists (and charts) at a time


def check_csrf(viewer: Viewer, token: str | None) -> None:
    """Refuse a form that does not carry the session's CSRF token (403, nothing done). A call with an API token
    carries no cookie for another site to abuse, and needs none."""
    if not viewer.by_token and not viewer.session.csrf_matches(token):
        raise Forbidden("表单已过期或来源不明（CSRF 校验失败），请刷新页面后重试")


def _redirect(portal: Portal, path: str) -> RedirectResponse:
    return RedirectResponse(portal.url(path), status_code=303)


# --- login, logout, password -----------------------------------------------------------------------------------


@router.get("/login")
def login_page(request: Request, next: str | None = None) -> Response:
    portal = portal_of(request)
    viewer = portal.viewer(request)
    if viewer.user is not None and not viewer.session.must_change:
        return RedirectResponse(safe_next(next, portal), status_code=303)
    return portal.render(request, "login.html", viewer, next=safe_next(next, portal))


@router.post("/login")
def login(
    request: Request,
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    csrf: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "",
) -> Response:
    portal = portal_of(request)
    viewer = portal.viewer(request)
    check_csrf(viewer, csrf)
    now = portal.now()
    try:
        session = accounts.log_in(
            username.strip(), password, now=now, ports=portal.workflow.ports, hasher=portal.hasher
        )
    except LoginRefused as exc:
        return portal.render(
            request,
            "login.html",
            viewer,
            403,
            next=safe_next(next, portal),
            error=str(exc),
            username=username,
        )
    fresh = viewer.session.logged_in(session.user.id, session.generation, session.must_change_password, now)
    request.state.session_out = fresh
    if session.must_change_password:
        return _redirect(portal, "/password")
    return RedirectResponse(safe_next(next, portal), status_code=303)


@router.post("/logout")
def logout(request: Request, csrf: Annotated[str, Form()] = "") -> Response:
    portal = portal_of(request)
    viewer = portal.viewer(request)
    check_csrf(viewer, csrf)
    if viewer.user is not None:
        accounts.log_out_everywhere(viewer.user.id, now=portal.now(), ports=portal.workflow.ports)
    request.state.session_out = viewer.session.anonymous()
    return _redirect(portal, "/login")


@router.get("/password")
def password_page(request: Request) -> Response:
    portal = portal_of(request)
    viewer, _ = portal.user(request, allow_password_change=True)
    return portal.render(request, "password.html", viewer)


@router.post("/password")
def change_password(
    request: Request,
    current: Annotated[str, Form()] = "",
    new: Annotated[str, Form()] = "",
    again: Annotated[str, Form()] = "",
    csrf: Annotated[str, Form()] = "",
) -> Response:
    portal = portal_of(request)
    viewer, user = portal.user(request, allow_password_change=True)
    check_csrf(viewer, csrf)
    try:
        if new != again:
            raise InvalidInput("两次输入的新密码不一致")
        accounts.change_password(
            user.id, current, new, now=portal.now(), ports=portal.workflow.ports, hasher=portal.hasher
        )
    except (InvalidInput, LoginRefused) as exc:
        status, _ = status_of(exc)
        return portal.render(request, "password.html", viewer, status, error=str(exc))
    # The change ended every session, this one too: log in again with the new password.
    request.state.session_out = viewer.session.anonymous()
    return RedirectResponse(portal.url("/login") + "?changed=1", status_code=303)


# --- pages -----------------------------------------------------------------------------------------------------


@router.get("/")
def home(request: Request) -> Response:
    return _redirect(portal_of(request), "/tasks")


@router.get("/tasks")
def tasks(request: Request) -> Response:
    portal = portal_of(request)
    viewer, user = portal.user(request)
    today = portal.today()
    rows = tasks_for(user.id, today, ports=portal.workflow.ports)
    return portal.render(request, "tasks.html", viewer, tasks=rows, today=today, label=label)


@router.get("/vendor/plotly.min.js", include_in_schema=False)
def plotly_js() -> FileResponse:
    """plotly.js from the plotly wheel: the charts' library, served by Banfa (no CDN)."""
    return FileResponse(
        charts.plotly_js(), media_type="text/javascript", headers={"Cache-Control": "max-age=86400"}
    )


@router.get("/search")
def search(request: Request, q: str = "") -> Response:
    portal = portal_of(request)
    viewer, user = portal.user(request)
    found = search_duties(q[:100], user.id, ports=portal.workflow.ports)
    return portal.render(request, "search.html", viewer, q=q, found=found, limit=SEARCH_LIMIT)


@router.get("/notices/{notice_id}")
def notice(
    request: Request, notice_id: str, dept: str = "", state: str = "", risk: str = "", page: int = 1
) -> Response:
    """The notice's duties (filtered, NOTICE_PAGE at a time, with the Gantt chart of the same rows), its
    burndown and the ledger's link."""
    portal = portal_of(request)
    viewer, user = portal.user(request)
    today = portal.today()
    board, chart = notice_page(notice_id, today, ports=portal.workflow.ports, user_id=user.id)
    rows = [
        r
        for r in board.rows
        if (not dept or r.lead == dept)
        and (not state or r.state.value == state)
        and (
            not risk
            or (risk == "overdue" and r.overdue)
            or (risk == "at_risk" and r.at_risk and not r.overdue)
        )
    ]
    pages = max(1, -(-len(rows) // NOTICE_PAGE))
    page = min(max(page, 1), pages)
    shown = rows[(page - 1) * NOTICE_PAGE : page * NOTICE_PAGE]
    start = chart.days[0] if chart.days else today
    response = portal.render(
        request,
        "notice.html",
        viewer,
        board=board,
        rows=shown,
        matching=len(rows),
        page=page,
        pages=pages,
        gantt=charts.as_json(charts.gantt(board, shown, start)),
        burndown=charts.as_json(charts.burndown(chart, board.deadline)),
        leads=sorted({r.lead for r in board.rows}),
        states=sorted({r.state.value for r in board.rows}),
        chosen={"dept": dept, "state": state, "risk": risk},
    )
    response.headers["Content-Security-Policy"] = CSP_CHARTS
    return response


@router.get("/duties/{duty_id}")
def duty(request: Request, duty_id: str) -> Response:
    portal = portal_of(request)
    viewer, _ = portal.user(request)
    return _duty_page(request, portal, viewer, duty_id)


def _duty_page(
    request: Request, portal: Portal, viewer: Viewer, duty_id: str, status: int = 200, error: str = ""
) -> Response:
    assert viewer.user is not None
    page = duty_page(duty_id, viewer.user.id, portal.today(), ports=portal.workflow.ports)
    allowed = [a for a in ACTION_ORDER if a in page.allowed and a in ACTIONS]
    return portal.render(
        request,
        "duty.html",
        viewer,
        status,
        page=page,
        allowed=allowed,
        label=label,
        error=error,
        decisions=[d.value for d in Decision],
        outcomes=[o.value for o in Legality],
        opinion_rows=range(1, OPINION_ROWS + 1),
        undecided=[o for o in page.opinions if o.ruling is None],
        registry=portal.workflow.ports.registry,
        texts=sorted(
            (v for v in page.documents if v.kind in COMPARABLE), key=lambda v: v.created, reverse=True
        ),
    )


@router.post("/duties/{duty_id}/actions/{action}")
async def act(request: Request, duty_id: str, action: str) -> Response:
    """Take one action. The form is read here (uploads capped as they arrive); the service runs in a thread."""
    from starlette.concurrency import run_in_threadpool

    portal = portal_of(request)
    viewer, user = await run_in_threadpool(portal.user, request)
    if action not in ACTIONS:
        raise_not_found()
    async with request.form(max_files=20, max_fields=100) as form:  # closes the uploads' spool files
        check_csrf(viewer, _field(form.get("csrf")))
        fields = {k: v for k, v in form.items() if isinstance(v, str)}
        files = [await read_upload(n, v) for n, v in form.multi_items() if isinstance(v, StarletteUpload)]
    version = fields.get("version", "")
    submitted = Submitted(
        duty_id,
        fields,
        tuple(f for f in files if f.data or f.filename),
        user.id,
        portal.now(),
        int(version) if version.isdigit() else None,
    )
    try:
        await run_in_threadpool(run_action, action, submitted, portal.workflow)
    except (Conflict, InvalidInput) as exc:
        # The fresh page with the reason, so that the person sees what changed and can try again; someone who
        # may not read the duty gets the reason alone.
        status, title = status_of(exc)
        try:
            return await run_in_threadpool(
                _duty_page, request, portal, viewer, duty_id, status, message_of(exc)
            )
        except Forbidden:
            return portal.render(request, "error.html", viewer, status, title=title, message=message_of(exc))
    return RedirectResponse(portal.url(f"/duties/{quote(duty_id)}") + f"?done={action}", status_code=303)


def raise_not_found() -> None:
    from fastapi import HTTPException

    raise HTTPException(status_code=404)


def _field(value: object) -> str | None:
    return value if isinstance(value, str) else None


async def read_upload(name: str, upload: StarletteUpload) -> Upload:
    """Read an upload up to its cap and refuse it past that, before anything parses it."""
    cap = DRAFT_CAP if name == "draft" else ATTACHMENT_CAP
    chunks, size = [], 0
    while chunk := await upload.read(CHUNK):
        size += len(chunk)
        if size > cap:
            raise InvalidInput(f"文件 {upload.filename} 过大（上限 {cap // 1024 // 1024} MB）")
        chunks.append(chunk)
    return Upload(name, upload.filename or "", b"".join(chunks))


# --- downloads -------------------------------------------------------------------------------------------------


def attachment(export: Export) -> Response:
    """A download: always an attachment, with its Chinese name (RFC 5987) and an ASCII fallback."""
    ascii_name = "banfa" + PurePath(export.filename).suffix  # for a client that cannot read filename*
    disposition = f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(export.filename)}"
    return Response(
        export.data,
        media_type=export.media_type,
        headers={"Content-Disposition": disposition, "X-Content-Type-Options": "nosniff"},
    )


@router.get("/documents/{document_id}")
def document(request: Request, document_id: str) -> Response:
    portal = portal_of(request)
    _, user = portal.user(request)
    return attachment(
        export_document(document_id, actor=user.id, now=portal.now(), ports=portal.workflow.ports)
    )


@router.get("/documents/{document_id}/preview")
def preview(request: Request, document_id: str) -> Response:
    """A .docx shown in the page: mammoth's HTML, sanitised (no script, no event handler, no link, no image)."""
    portal = portal_of(request)
    viewer, user = portal.user(request)
    export = export_document(document_id, actor=user.id, now=portal.now(), ports=portal.workflow.ports)
    if not export.filename.lower().endswith(".docx"):
        raise InvalidInput(f"只能预览 Word 文档（.docx）：{export.filename}")
    from engine.entrypoints.web.preview import docx_to_safe_html

    html, warnings = docx_to_safe_html(export.data)
    return portal.render(
        request, "preview.html", viewer, export=export, document_id=document_id, html=html, warnings=warnings
    )


@router.get("/compare")
def compare(request: Request, old: str, new: str) -> Response:
    """The 修改对照表 of two stored versions of a duty's text, as a .docx download."""
    portal = portal_of(request)
    _, user = portal.user(request)
    return attachment(
        compare_versions(old, new, actor=user.id, now=portal.now(), ports=portal.workflow.ports)
    )


@router.get("/duties/{duty_id}/bundle")
def bundle(request: Request, duty_id: str) -> Response:
    portal = portal_of(request)
    _, user = portal.user(request)
    return attachment(reviewer_bundle(duty_id, actor=user.id, now=portal.now(), ports=portal.workflow.ports))


@router.get("/notices/{notice_id}/ledger")
def ledger_download(request: Request, notice_id: str) -> Response:
    portal = portal_of(request)
    _, user = portal.user(request)
    from engine.bootstrap import ledger_writer

    export = ledger(
        notice_id,
        portal.today(),
        actor=user.id,
        now=portal.now(),
        ports=portal.workflow.ports,
        writer=ledger_writer(),
    )
    return attachment(export)


__all__ = ["EngineError", "router"]
