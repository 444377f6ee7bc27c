"""The administrators' pages: 用户 (list, add, disable, reset a password) and 发件箱 (the local outbox, when no
SMTP server is configured). Each refusal is the accounts service's: only an administrator may."""

from __future__ import annotations

from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from engine.adapters.mail.outbox import read_outbox
from engine.domain.workflow.people import UserRole
from engine.entrypoints.web.app import portal_of
from engine.entrypoints.web.errors import status_of
from engine.errors import Conflict, Invalid, NotFound
from engine.services import accounts

router = APIRouter()


class MessageNotFound(NotFound):
    def __init__(self, name: str) -> None:
        super().__init__(f"发件箱中没有该邮件：{name}")


def _check(request: Request, token: str) -> None:
    from engine.entrypoints.web.pages import check_csrf

    portal = portal_of(request)
    check_csrf(portal.viewer(request), token)


@router.get("/users")
def users(request: Request, error: str = "", status: int = 200, shown: str = "") -> Response:
    portal = portal_of(request)
    viewer, user = portal.user(request)
    accounts.require_admin(user.id, "管理用户", ports=portal.workflow.ports)
    return portal.render(
        request,
        "users.html",
        viewer,
        status,
        people=accounts.list_users(ports=portal.workflow.ports),
        roles=list(UserRole),
        registry=portal.workflow.ports.registry,
        error=error,
        shown=shown,
    )


@router.post("/users")
def add_user(
    request: Request,
    user_id: Annotated[str, Form()] = "",
    name: Annotated[str, Form()] = "",
    department: Annotated[str, Form()] = "",
    role: Annotated[list[str] | None, Form()] = None,
    email: Annotated[str, Form()] = "",
    csrf: Annotated[str, Form()] = "",
) -> Response:
    portal = portal_of(request)
    _, admin = portal.user(request)
    _check(request, csrf)
    try:
        accounts.add_user(
            user_id.strip(),
            name.strip(),
            department,
            role or [],
            now=portal.now(),
            ports=portal.workflow.ports,
            email=email.strip(),
            actor=admin.id,
        )
    except (Invalid, Conflict, NotFound) as exc:
        return users(request, error=str(exc), status=status_of(exc)[0])
    return RedirectResponse(portal.url("/users"), status_code=303)


@router.post("/users/{user_id}/disable")
def disable(request: Request, user_id: str, csrf: Annotated[str, Form()] = "") -> Response:
    portal = portal_of(request)
    _, admin = portal.user(request)
    _check(request, csrf)
    accounts.disable_user(user_id, now=portal.now(), ports=portal.workflow.ports, actor=admin.id)
    return RedirectResponse(portal.url("/users"), status_code=303)


@router.post("/users/{user_id}/reset")
def reset(request: Request, user_id: str, csrf: Annotated[str, Form()] = "") -> Response:
    portal = portal_of(request)
    _, admin = portal.user(request)
    _check(request, csrf)
    chosen = accounts.reset_password(
        user_id, actor=admin.id, now=portal.now(), ports=portal.workflow.ports, hasher=portal.hasher
    )
    # Shown once, on this page only; the user must change it at the next login.
    return users(
        request, shown=f"用户 {user_id} 的新密码：{chosen}（只显示这一次，请当面或电话告知，首次登录须修改）"
    )


@router.get("/outbox")
def outbox(request: Request) -> Response:
    portal = portal_of(request)
    viewer, user = portal.user(request)
    accounts.require_admin(user.id, "查看发件箱", ports=portal.workflow.ports)
    entries = read_outbox(portal.settings.outbox)
    return portal.render(
        request,
        "outbox.html",
        viewer,
        entries=entries,
        smtp=portal.settings.smtp_host,
        folder=portal.settings.outbox,
    )


@router.get("/outbox/{name}")
def message(request: Request, name: str) -> Response:
    portal = portal_of(request)
    viewer, user = portal.user(request)
    accounts.require_admin(user.id, "查看发件箱", ports=portal.workflow.ports)
    # By id only: the name must be one the outbox lists, never a path taken from the request.
    entry = next((e for e in read_outbox(portal.settings.outbox) if e.path.name == name), None)
    if entry is None:
        raise MessageNotFound(name)
    mail = message_from_bytes(entry.path.read_bytes(), _class=EmailMessage, policy=policy.default)
    assert isinstance(mail, EmailMessage)
    body = mail.get_body(("plain",))
    text = body.get_content() if body is not None else ""
    headers = [(k, str(mail[k])) for k in ("Date", "From", "To", "Cc", "Subject", "X-Banfa-Kind") if mail[k]]
    return portal.render(request, "message.html", viewer, entry=entry, headers=headers, text=text)
