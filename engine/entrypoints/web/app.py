"""Build the portal's FastAPI application: sessions, CSRF, security headers, the error table, and the routes.

Every handler that calls a service is a plain `def`, so FastAPI runs it in its thread pool and no blocking
service (the database, rendering, a Prefect dispatch) ever holds the event loop. The clock is read here, at the
entrypoint, and handed to the services as `now` and `today`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit
from zoneinfo import ZoneInfo

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint

from engine.bootstrap import Workflow, open_workflow, password_hasher
from engine.config import Settings
from engine.domain.ports import PasswordHasher
from engine.domain.workflow.people import User, UserRole
from engine.entrypoints.web.errors import group_of, message_of, status_of
from engine.entrypoints.web.sessions import COOKIE, PortalSession, SessionCodec, portal_secret
from engine.errors import EngineError, UnknownUser
from engine.services.accounts import token_user

SHANGHAI = ZoneInfo("Asia/Shanghai")
HERE = Path(__file__).parent
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)
# plotly.js styles its charts by adding <style> rules at run time, so the notice page (and only it) allows inline
# styles; scripts stay 'self' everywhere, and no page puts anything a person typed into a style.
CSP_CHARTS = CSP.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


BODY_CAP = 120 * 1024 * 1024  # one request: a draft (20 MB) and two attachments (50 MB each)


HTTP_WORDS = {
    404: ("未找到", "没有这个页面。"),
    405: ("不支持该请求方式", "这个地址不接受这种请求，请从页面上的按钮或链接操作。"),
}


def now_utc() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class LoginRequired(Exception):
    """No session: the visitor goes through the login page and comes back to what they asked for."""


class PasswordChangeRequired(Exception):
    """A password someone else chose must be changed before anything else."""


@dataclass(frozen=True)
class Viewer:
    """Who is looking: the session, and the user when someone is logged in."""

    session: PortalSession
    user: User | None
    by_token: bool = False  # authenticated by an API token: no cookie, so no CSRF to check

    @property
    def is_admin(self) -> bool:
        return self.user is not None and UserRole.ADMIN in self.user.roles


class Portal:
    """What every handler shares: the settings, the workflow, the session codec, the templates and the clock."""

    def __init__(
        self,
        settings: Settings,
        workflow: Workflow,
        *,
        clock: Callable[[], dt.datetime] = now_utc,
        idle_minutes: int | None = None,
    ) -> None:
        self.settings = settings
        self.workflow = workflow
        self.clock = clock
        url = urlsplit(settings.portal_url)
        self.prefix = url.path.rstrip("/")
        self.secure = url.scheme == "https"
        self.idle = dt.timedelta(minutes=idle_minutes or settings.portal_idle_minutes)
        secret = settings.portal_secret.get_secret_value() if settings.portal_secret else None
        self.codec = SessionCodec(portal_secret(settings.data_dir, secret))
        self.templates = Jinja2Templates(directory=str(HERE / "templates"))
        self.templates.env.globals["url"] = self.url
        self.templates.env.filters["minute"] = lambda m: m.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")

    @cached_property
    def hasher(self) -> PasswordHasher:
        return password_hasher()

    def url(self, path: str) -> str:
        """A path under the portal's prefix (BANFA_PORTAL_URL may carry one, e.g. /banfa)."""
        return self.prefix + path

    def now(self) -> dt.datetime:
        return self.clock()

    def today(self) -> dt.date:
        return self.clock().astimezone(SHANGHAI).date()

    # --- sessions -------------------------------------------------------------------------------------------

    def viewer(self, request: Request) -> Viewer:
        """Read and check the session (signature, idle time, generation, account) and keep it fresh.

        Runs in the thread pool: it reads the account to see whether its sessions were ended.
        """
        now = self.now()
        session = self.codec.loads(request.cookies.get(COOKIE)) or PortalSession.anonymous()
        user = None
        if session.user_id is not None:
            user = self._still_valid(session, now)
            session = PortalSession.anonymous() if user is None else session.seen(now)
        request.state.session_out = session
        request.state.viewer = Viewer(session, user)
        return request.state.viewer  # type: ignore[no-any-return]

    def _still_valid(self, session: PortalSession, now: dt.datetime) -> User | None:
        if session.idle(now, self.idle) or session.user_id is None:
            return None
        try:
            with self.workflow.ports.reading() as uow:
                user, account = uow.users.get(session.user_id), uow.accounts.get(session.user_id)
        except UnknownUser:
            return None
        if account.disabled or account.session_generation != session.generation:
            return None
        return user

    def user(self, request: Request, *, allow_password_change: bool = False) -> tuple[Viewer, User]:
        """The logged-in user, or LoginRequired; PasswordChangeRequired first when their password must change.

        A request with `Authorization: Bearer <token>` acts as the token's user (an API token from
        `banfa user token`) and needs no session; a token that is not valid is refused, never ignored.
        """
        bearer = _bearer(request)
        if bearer is not None:
            user = token_user(bearer, now=self.now(), ports=self.workflow.ports)
            if user is None:
                raise LoginRequired
            request.state.viewer = Viewer(PortalSession.anonymous(), user, by_token=True)
            return request.state.viewer, user
        viewer = self.viewer(request)
        if viewer.user is None:
            raise LoginRequired
        if viewer.session.must_change and not allow_password_change:
            raise PasswordChangeRequired
        return viewer, viewer.user

    def render(
        self, request: Request, name: str, viewer: Viewer, status: int = 200, **context: Any
    ) -> Response:
        return self.templates.TemplateResponse(
            request, name, {"viewer": viewer, "csrf": viewer.session.csrf, **context}, status_code=status
        )


def safe_next(target: str | None, portal: Portal) -> str:
    """Where to go after the login: a path of this portal only (no scheme, no host, no `//`), else home."""
    home = portal.url("/tasks")
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return home
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith(portal.prefix + "/"):
        return home
    return target


def create_app(
    settings: Settings,
    *,
    workflow: Workflow | None = None,
    clock: Callable[[], dt.datetime] = now_utc,
) -> FastAPI:
    """The portal for these settings (and this workflow, when a test or `banfa up` already holds one)."""
    settings = settings.resolved()
    portal = Portal(settings, workflow or open_workflow(settings), clock=clock)
    # The JSON API's schema is served; Swagger UI and ReDoc are off (they load their assets from a CDN).
    app = FastAPI(
        title="办法 Banfa API",
        version="1",
        docs_url=None,
        redoc_url=None,
        openapi_url=portal.url("/api/v1/openapi.json"),
    )
    app.state.portal = portal

    class Security(BaseHTTPMiddleware):
        async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
            size = request.headers.get("content-length", "")
            if size.isdigit() and int(size) > BODY_CAP:
                # Refused before a byte of it is read or spooled: each file's own cap is checked as it arrives.
                response: Response = PlainTextResponse(
                    f"上传内容过大（单次不超过 {BODY_CAP // 1024 // 1024} MB）", status_code=413
                )
            else:
                response = await call_next(request)
            session = getattr(request.state, "session_out", None)
            if session is not None:
                response.set_cookie(
                    COOKIE,
                    portal.codec.dumps(session),
                    httponly=True,
                    samesite="lax",
                    secure=portal.secure,
                    path=portal.prefix or "/",
                )
            for name, value in SECURITY_HEADERS.items():
                response.headers.setdefault(name, value)
            return response

    app.add_middleware(Security)

    @app.exception_handler(LoginRequired)
    def _login(request: Request, exc: LoginRequired) -> Response:
        if _is_api(request, portal):
            return JSONResponse({"error": "NotLoggedIn", "message": "请先登录"}, status_code=401)
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        if request.method != "GET":  # a form sent after the session ended: come back to its page, not to it
            target = target.split("/actions/", 1)[0] if "/actions/" in target else portal.url("/tasks")
        return RedirectResponse(portal.url("/login") + "?next=" + quote(target, safe="/"), status_code=303)

    @app.exception_handler(PasswordChangeRequired)
    def _password(request: Request, exc: PasswordChangeRequired) -> Response:
        if _is_api(request, portal):
            return JSONResponse(
                {"error": "PasswordChangeRequired", "message": "请先修改密码"}, status_code=403
            )
        return RedirectResponse(portal.url("/password"), status_code=303)

    @app.exception_handler(EngineError)
    def _engine_error(request: Request, exc: EngineError) -> Response:
        status, title = status_of(exc)
        if _is_api(request, portal):
            return JSONResponse({"error": group_of(exc), "message": message_of(exc)}, status_code=status)
        viewer = getattr(request.state, "viewer", None) or Viewer(PortalSession.anonymous(), None)
        return portal.render(request, "error.html", viewer, status, title=title, message=message_of(exc))

    @app.exception_handler(RequestValidationError)
    def _invalid(request: Request, exc: RequestValidationError) -> Response:
        where = "；".join(".".join(str(p) for p in e.get("loc", ())) for e in exc.errors()[:5])
        message = f"请求格式有误：{where}"
        if _is_api(request, portal):
            return JSONResponse({"error": "Invalid", "message": message}, status_code=422)
        viewer = getattr(request.state, "viewer", None) or Viewer(PortalSession.anonymous(), None)
        return portal.render(request, "error.html", viewer, 422, title="输入有误", message=message)

    @app.exception_handler(StarletteHTTPException)
    def _http(request: Request, exc: StarletteHTTPException) -> Response:
        title, message = HTTP_WORDS.get(exc.status_code, ("请求有误", "无法处理这个请求。"))
        if _is_api(request, portal):
            group = "NotFound" if exc.status_code == 404 else "Invalid"
            return JSONResponse({"error": group, "message": message}, status_code=exc.status_code)
        viewer = Viewer(PortalSession.anonymous(), None)
        return portal.render(request, "error.html", viewer, exc.status_code, title=title, message=message)

    @app.exception_handler(Exception)
    def _crash(request: Request, exc: Exception) -> Response:
        # Never a traceback to the browser; the server's log has it.
        return PlainTextResponse("系统内部错误，请稍后重试或联系系统管理员。", status_code=500)

    app.mount(portal.url("/static"), StaticFiles(directory=str(HERE / "static")), name="static")

    @app.get(portal.url("/healthz"), include_in_schema=False)
    def healthz() -> PlainTextResponse:
        return PlainTextResponse("ok")

    from engine.entrypoints.web import admin, api, pages

    app.include_router(api.router, prefix=portal.prefix)
    app.include_router(pages.router, prefix=portal.prefix, include_in_schema=False)
    app.include_router(admin.router, prefix=portal.prefix, include_in_schema=False)
    if portal.prefix:

        @app.get("/", include_in_schema=False)
        def _root() -> RedirectResponse:
            return RedirectResponse(portal.url("/tasks"), status_code=303)

    return app


def _bearer(request: Request) -> str | None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else None


def _is_api(request: Request, portal: Portal) -> bool:
    return request.url.path.startswith(portal.url("/api/"))


def portal_of(request: Request) -> Portal:
    portal: Portal = request.app.state.portal
    return portal


__all__ = ["HTMLResponse", "Portal", "Viewer", "create_app", "portal_of", "safe_next"]
