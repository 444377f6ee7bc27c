"""The portal over HTTP, on a real SQLite data directory with the seed ingested: sessions, CSRF, redirects,
refusals by group, downloads, uploads, and the procedure driven by its people through the pages' forms."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import shutil
import zipfile
from collections.abc import Callable
from pathlib import Path
from urllib.parse import unquote

import openpyxl
import pytest
from fastapi.testclient import TestClient

from engine.bootstrap import open_workflow, password_hasher
from engine.config import Settings
from engine.domain.workflow.model import State
from engine.entrypoints.web.sessions import COOKIE
from engine.services.accounts import mint_token, revoke_tokens, set_password
from tests.support.docx_fixtures import made_by_python_docx
from tests.support.portal import (
    SHANGHAI,
    Clock,
    client,
    csrf_of,
    error_of,
    log_in,
    version_of,
)
from tests.support.workflows import SAMPLE

TITLE = "深圳市服务外包人才培训资助资金使用和监管办法"
REVISION = made_by_python_docx(
    TITLE, "第一条　为了规范资助资金管理，制定本办法。", "第二条　资助资金实行专款专用。"
)
Client = Callable[..., TestClient]


@pytest.fixture
def var(portal_var: Path, tmp_path: Path) -> Path:
    folder = tmp_path / "var"
    shutil.copytree(portal_var, folder)
    return folder


@pytest.fixture
def clock() -> Clock:
    return Clock("2007-09-12T09:00")


@pytest.fixture
def open_client(var: Path, clock: Clock) -> Client:
    def make(user: str | None = None, portal_url: str = "http://127.0.0.1:8000") -> TestClient:
        c = client(var, clock, portal_url)
        if user is not None:
            log_in(c, user)
        return c

    return make


def state_of(var: Path, duty_id: str = SAMPLE) -> tuple[State, int]:
    workflow = open_workflow(Settings(data_dir=var).resolved())
    try:
        with workflow.ports.reading() as uow:
            duty = uow.duties.get(duty_id)
        return duty.state, duty.version
    finally:
        workflow.db_engine.dispose()


def act(c: TestClient, action: str, duty_id: str = SAMPLE, **fields: str) -> tuple[int, str]:
    page = c.get(f"/duties/{duty_id}")
    assert page.status_code == 200, page.text
    data = {"csrf": csrf_of(page.text), "version": version_of(page.text), **fields}
    done = c.post(f"/duties/{duty_id}/actions/{action}", data=data)
    return done.status_code, error_of(done.text)


# --- sessions and redirects ------------------------------------------------------------------------------------


def test_a_visitor_goes_through_the_login_and_comes_back_to_the_page_asked_for(open_client: Client) -> None:
    c = open_client()
    asked = c.get(f"/duties/{SAMPLE}")
    assert asked.status_code == 303
    assert unquote(asked.headers["location"]) == f"/login?next=/duties/{SAMPLE}"
    page = c.get(asked.headers["location"])
    done = c.post(
        "/login",
        data={
            "username": "zhang",
            "password": "banfa2007pw",
            "csrf": csrf_of(page.text),
            "next": f"/duties/{SAMPLE}",
        },
    )
    assert (done.status_code, done.headers["location"]) == (303, f"/duties/{SAMPLE}")
    assert TITLE in c.get(f"/duties/{SAMPLE}").text


@pytest.mark.parametrize(
    "target",
    ["//evil.example.com/x", "https://evil.example.com/", "/\\evil.example.com", "javascript:alert(1)"],
)
def test_an_open_redirect_attempt_sends_the_person_home(open_client: Client, target: str) -> None:
    c = open_client()
    page = c.get("/login", params={"next": target})
    done = c.post(
        "/login",
        data={"username": "zhang", "password": "banfa2007pw", "csrf": csrf_of(page.text), "next": target},
    )
    assert (done.status_code, done.headers["location"]) == (303, "/tasks")


def test_a_wrong_password_is_refused_in_chinese_and_five_lock_the_account(open_client: Client) -> None:
    c = open_client()
    for _ in range(5):
        page = c.get("/login")
        wrong = c.post(
            "/login", data={"username": "zhang", "password": "nope12345", "csrf": csrf_of(page.text)}
        )
        assert wrong.status_code == 403 and error_of(wrong.text) == "登录失败：用户名或密码错误"
    page = c.get("/login")
    right = c.post(
        "/login", data={"username": "zhang", "password": "banfa2007pw", "csrf": csrf_of(page.text)}
    )
    assert right.status_code == 403 and "锁定" in error_of(right.text)


def test_a_tampered_cookie_reads_as_logged_out(open_client: Client) -> None:
    c = open_client("zhang")
    cookie = c.cookies[COOKIE]
    c.cookies.clear()
    c.cookies.set(COOKIE, cookie[:-3] + ("AAA" if not cookie.endswith("AAA") else "BBB"))
    assert c.get("/tasks").status_code == 303


def test_logging_out_ends_the_session_everywhere(open_client: Client) -> None:
    here, there = open_client("zhang"), open_client("zhang")
    page = here.get("/tasks")
    assert here.post("/logout", data={"csrf": csrf_of(page.text)}).status_code == 303
    assert here.get("/tasks").status_code == 303
    assert there.get("/tasks").status_code == 303  # the other browser's session ended too


def test_a_session_left_idle_for_thirty_minutes_ends(open_client: Client, clock: Clock) -> None:
    c = open_client("zhang")
    clock.advance(minutes=29)
    assert c.get("/tasks").status_code == 200  # and this visit counts as activity
    clock.advance(minutes=29)
    assert c.get("/tasks").status_code == 200
    clock.advance(minutes=31)
    assert c.get("/tasks").status_code == 303


def test_a_printed_password_must_be_changed_before_anything_else(var: Path, open_client: Client) -> None:
    workflow = open_workflow(Settings(data_dir=var).resolved())
    moment = dt.datetime(2007, 9, 11, 10, tzinfo=SHANGHAI)
    set_password(
        "admin", "printed123", now=moment, ports=workflow.ports, hasher=password_hasher(), must_change=True
    )
    c = open_client()
    page = c.get("/login")
    done = c.post("/login", data={"username": "admin", "password": "printed123", "csrf": csrf_of(page.text)})
    assert done.headers["location"] == "/password"
    assert c.get("/tasks").headers["location"] == "/password"
    form = c.get("/password")
    weak = c.post(
        "/password",
        data={"current": "printed123", "new": "short", "again": "short", "csrf": csrf_of(form.text)},
    )
    assert weak.status_code == 422 and error_of(weak.text)
    changed = c.post(
        "/password",
        data={
            "current": "printed123",
            "new": "chosen2007",
            "again": "chosen2007",
            "csrf": csrf_of(form.text),
        },
    )
    assert changed.headers["location"] == "/login?changed=1"
    assert c.get("/tasks").status_code == 303  # the change ended this session too
    log_in(c, "admin", "chosen2007")
    assert c.get("/tasks").status_code == 200


# --- actions ---------------------------------------------------------------------------------------------------


def test_an_officer_starts_a_duty_from_its_page(var: Path, open_client: Client) -> None:
    c = open_client("zhang")
    page = c.get(f"/duties/{SAMPLE}")
    assert 'data-action="start"' in page.text
    status, error = act(c, "start")
    assert (status, error) == (303, "")
    assert state_of(var)[0] is State.DRAFTING
    after = c.get(f"/duties/{SAMPLE}").text
    assert "征求意见稿.docx" in after and "启动起草" in after


@pytest.mark.parametrize("token", [None, "forged"])
def test_a_form_without_its_csrf_token_is_refused_and_changes_nothing(
    var: Path, open_client: Client, token: str | None
) -> None:
    c = open_client("zhang")
    before = state_of(var)
    page = c.get(f"/duties/{SAMPLE}")
    data = {"version": version_of(page.text)} | ({"csrf": token} if token else {})
    refused = c.post(f"/duties/{SAMPLE}/actions/start", data=data)
    assert refused.status_code == 403 and "CSRF" in refused.text
    assert state_of(var) == before


def test_an_action_the_role_does_not_allow_is_forbidden_and_changes_nothing(
    var: Path, open_client: Client
) -> None:
    c = open_client("wang")  # an officer of 市公安局, not the lead
    before = state_of(var)
    page = c.get(f"/duties/{SAMPLE}")
    assert page.status_code == 403  # wang may not even read the duty
    refused = c.post(f"/duties/{SAMPLE}/actions/start", data={"csrf": csrf_of(c.get("/tasks").text)})
    assert refused.status_code == 403 and "无权" in refused.text
    assert state_of(var) == before


def test_a_stale_form_gets_the_fresh_page_and_asks_to_refresh(var: Path, open_client: Client) -> None:
    c = open_client("zhang")
    page = c.get(f"/duties/{SAMPLE}")
    token, stale = csrf_of(page.text), version_of(page.text)
    assert (
        c.post(f"/duties/{SAMPLE}/actions/start", data={"csrf": token, "version": stale}).status_code == 303
    )
    before = state_of(var)
    again = c.post(f"/duties/{SAMPLE}/actions/open_consultation", data={"csrf": token, "version": stale})
    assert again.status_code == 409 and "请刷新后重试" in error_of(again.text)
    assert 'data-action="open_consultation"' in again.text  # the fresh page, with its forms
    assert state_of(var) == before


def test_an_illegal_transition_is_a_conflict_and_bad_input_is_invalid(var: Path, open_client: Client) -> None:
    c = open_client("office")  # the coordinating office may start and extend
    status, _ = act(c, "extend", deadline="not-a-date", reason="x")
    assert status == 422
    status, error = act(c, "extend", deadline="1999-01-01", reason="x")
    assert status == 422 and "2000" in error
    page = c.get(f"/duties/{SAMPLE}").text
    refused = c.post(
        f"/duties/{SAMPLE}/actions/deliberate",
        data={"csrf": csrf_of(page), "version": version_of(page), "approved": "1"},
    )
    assert refused.status_code in (403, 409)


# --- downloads and uploads -------------------------------------------------------------------------------------


def test_a_download_is_an_attachment_with_its_chinese_name(var: Path, open_client: Client) -> None:
    c = open_client("zhang")
    act(c, "start")
    got = c.get(f"/documents/{SAMPLE}.draft.v1")
    assert got.status_code == 200
    assert got.headers["x-content-type-options"] == "nosniff"
    disposition = got.headers["content-disposition"]
    assert disposition.startswith("attachment;")
    assert unquote(disposition.split("filename*=UTF-8''")[1]) == f"{TITLE}-征求意见稿-第1版.docx"
    assert got.content[:2] == b"PK"


@pytest.mark.parametrize(
    "path",
    [f"/documents/{SAMPLE}.draft.v9", "/documents/..%2F..%2Fetc%2Fpasswd", "/documents/../../etc/passwd"],
)
def test_an_unknown_or_path_like_document_id_is_not_found(open_client: Client, path: str) -> None:
    got = open_client("zhang").get(path)
    assert got.status_code == 404 and "root:" not in got.text


def test_a_document_another_department_may_not_read_is_forbidden(open_client: Client) -> None:
    act(open_client("zhang"), "start")
    assert open_client("wang").get(f"/documents/{SAMPLE}.draft.v1").status_code == 403


def test_an_upload_over_the_cap_is_refused_before_it_is_parsed(var: Path, open_client: Client) -> None:
    c = open_client("zhang")
    act(c, "start")
    before = state_of(var)
    page = c.get(f"/duties/{SAMPLE}").text
    big = b"PK" + b"\0" * (20 * 1024 * 1024 + 10)
    refused = c.post(
        f"/duties/{SAMPLE}/actions/upload",
        data={"csrf": csrf_of(page), "version": version_of(page)},
        files={"draft": ("修改稿.docx", big, "application/octet-stream")},
    )
    assert refused.status_code == 422 and "过大" in refused.text
    broken = c.post(
        f"/duties/{SAMPLE}/actions/upload",
        data={"csrf": csrf_of(page), "version": version_of(page)},
        files={"draft": ("修改稿.docx", b"not a docx", "application/octet-stream")},
    )
    assert broken.status_code == 422
    assert state_of(var) == before


def test_every_page_carries_a_content_security_policy_and_errors_are_chinese_pages(
    open_client: Client,
) -> None:
    c = open_client("zhang")
    for path in ("/login", "/tasks", f"/duties/{SAMPLE}", "/notices/sfb2007-129", "/duties/nothing.here"):
        got = c.get(path)
        assert "default-src 'self'" in got.headers["content-security-policy"], path
    missing = c.get("/duties/nothing.here")
    assert missing.status_code == 404 and "未找到" in missing.text and "Traceback" not in missing.text


def test_the_portal_lives_under_the_prefix_of_its_url(open_client: Client) -> None:
    c = open_client(portal_url="http://127.0.0.1:8000/banfa")
    asked = c.get(f"/banfa/duties/{SAMPLE}")
    assert unquote(asked.headers["location"]) == f"/banfa/login?next=/banfa/duties/{SAMPLE}"
    log_in(c, "zhang", prefix="/banfa")
    page = c.get(f"/banfa/duties/{SAMPLE}")
    assert page.status_code == 200 and 'href="/banfa/static/portal.css"' in page.text
    assert c.get("/banfa/healthz").text == "ok"


# --- the procedure, by its people ------------------------------------------------------------------------------


def test_the_procedure_through_the_pages(var: Path, open_client: Client, clock: Clock) -> None:
    # A day passes between the steps: each person logs in again (a session ends after 30 idle minutes).
    officer = open_client("zhang")
    assert act(officer, "start") == (303, "")
    clock.advance(days=1)
    officer = open_client("zhang")
    page = officer.get(f"/duties/{SAMPLE}").text
    uploaded = officer.post(
        f"/duties/{SAMPLE}/actions/upload",
        data={"csrf": csrf_of(page), "version": version_of(page)},
        files={"draft": ("修改稿.docx", REVISION, "application/octet-stream")},
    )
    assert uploaded.status_code == 303, error_of(uploaded.text)
    assert act(officer, "open_consultation") == (303, "")

    consultee = open_client("li")  # 市贸工局's contact
    assert any(SAMPLE in line for line in consultee.get("/tasks").text.splitlines())
    page = consultee.get(f"/duties/{SAMPLE}").text
    replied = consultee.post(
        f"/duties/{SAMPLE}/actions/reply",
        data={
            "csrf": csrf_of(page),
            "version": version_of(page),
            "clause_1": "第二条",
            "text_1": "建议写明审计主体。",
        },
        files={"attachments": ("复函.pdf", b"%PDF-1.4 sealed", "application/pdf")},
    )
    assert replied.status_code == 303, error_of(replied.text)

    clock.advance(days=1)
    officer = open_client("zhang")
    assert act(officer, "close_consultation") == (303, "")
    opinion = f"{SAMPLE}.r1.maogong.1"
    assert act(officer, "decide", opinion=opinion, decision="采纳", reason="已补充") == (303, "")
    assert act(officer, "submit") == (303, "")

    reviewer = open_client("fa")
    bundle = reviewer.get(f"/duties/{SAMPLE}/bundle")
    assert bundle.status_code == 200
    names = zipfile.ZipFile(io.BytesIO(bundle.content)).namelist()
    assert "02-送审稿.docx" in names and any(n.endswith("复函.pdf") for n in names)
    clock.advance(minutes=20)
    assert act(reviewer, "review", outcome="应当予以修改", opinion="第二条须明确审计主体。") == (303, "")
    assert state_of(var)[0] is State.RETURNED

    coordinator = open_client("office")
    board = coordinator.get("/notices/sfb2007-129")
    assert board.status_code == 200 and SAMPLE in board.text
    sheet = coordinator.get("/notices/sfb2007-129/ledger")
    assert sheet.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(sheet.content))
    assert any(cell.value == TITLE for row in book.active.iter_rows() for cell in row)


# --- administrators' pages -------------------------------------------------------------------------------------


@pytest.fixture
def admin(var: Path, open_client: Client) -> TestClient:
    workflow = open_workflow(Settings(data_dir=var).resolved())
    moment = dt.datetime(2007, 9, 11, 10, tzinfo=SHANGHAI)
    set_password("admin", "admin2007pw", now=moment, ports=workflow.ports, hasher=password_hasher())
    workflow.db_engine.dispose()
    c = open_client()
    log_in(c, "admin", "admin2007pw")
    return c


def test_an_administrator_adds_a_user_resets_the_password_and_disables_the_account(
    admin: TestClient, open_client: Client
) -> None:
    page = admin.get("/users")
    assert page.status_code == 200 and "zhang" in page.text
    token = csrf_of(page.text)
    form = {"user_id": "chen", "name": "陈五", "department": "caizheng", "role": ["officer"], "csrf": token}
    assert admin.post("/users", data=form).status_code == 303
    again = admin.post("/users", data=form)
    assert again.status_code == 409 and "已存在" in error_of(again.text)
    unknown = admin.post("/users", data=form | {"user_id": "zhou", "department": "nowhere"})
    assert unknown.status_code == 404 and "nowhere" in error_of(unknown.text)
    reset = admin.post("/users/chen/reset", data={"csrf": token})
    shown = re.search(r"新密码：([A-Za-z0-9]+)", reset.text)
    assert reset.status_code == 200 and shown
    chen = open_client()
    log_in(chen, "chen", shown.group(1))
    assert chen.get("/tasks").headers["location"] == "/password"  # a password someone else chose
    assert admin.post("/users/chen/disable", data={"csrf": token}).status_code == 303
    assert chen.get("/password").status_code == 303  # the disabled account's session ended
    assert "已停用" in admin.get("/users").text


def test_only_an_administrator_manages_users_or_reads_the_outbox(open_client: Client) -> None:
    officer = open_client("zhang")
    assert officer.get("/users").status_code == 403
    assert officer.get("/outbox").status_code == 403
    token = csrf_of(officer.get("/tasks").text)
    assert officer.post("/users/wang/disable", data={"csrf": token}).status_code == 403
    assert officer.post("/users/wang/reset", data={"csrf": token}).status_code == 403


def test_the_outbox_lists_messages_and_shows_one_by_name_only(var: Path, admin: TestClient) -> None:
    outbox = var / "outbox"
    outbox.mkdir(exist_ok=True)
    (outbox / "20071105-0900-a.eml").write_bytes(
        "Date: Mon, 05 Nov 2007 09:00:00 +0800\r\nFrom: banfa@banfa.local\r\nTo: zhang@example.gov.cn\r\n"
        "Subject: =?utf-8?b?5o+Q6YaS?=\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
        "请于 11 月 19 日前完成起草。\r\n".encode()
    )
    listed = admin.get("/outbox")
    assert listed.status_code == 200 and "提醒" in listed.text
    shown = admin.get("/outbox/20071105-0900-a.eml")
    assert shown.status_code == 200 and "请于 11 月 19 日前完成起草" in shown.text
    for name in ("nothing.eml", "..%2F..%2Fbanfa.db", "%2Fetc%2Fpasswd"):
        assert admin.get(f"/outbox/{name}").status_code == 404


# --- the preview -----------------------------------------------------------------------------------------------


def _hostile_draft() -> bytes:
    """A draft whose text holds markup and whose hyperlink runs script when followed."""
    import docx
    from docx.opc.constants import RELATIONSHIP_TYPE
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    document = docx.Document()
    document.add_paragraph(TITLE)
    document.add_paragraph('第一条　<script>alert("x")</script><img src=x onerror=alert(1)>')
    paragraph = document.add_paragraph("第二条　详见")
    rel = document.part.relate_to("javascript:alert(2)", RELATIONSHIP_TYPE.HYPERLINK, is_external=True)
    link = OxmlElement("w:hyperlink")
    link.set(qn("r:id"), rel)
    run = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = "此处"
    run.append(text)
    link.append(run)
    paragraph._p.append(link)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def test_a_script_in_an_uploaded_draft_never_runs_in_the_preview_or_the_download(open_client: Client) -> None:
    officer = open_client("zhang")
    act(officer, "start")
    page = officer.get(f"/duties/{SAMPLE}").text
    uploaded = officer.post(
        f"/duties/{SAMPLE}/actions/upload",
        data={"csrf": csrf_of(page), "version": version_of(page)},
        files={"draft": ("修改稿.docx", _hostile_draft(), "text/html")},
    )
    assert uploaded.status_code == 303, error_of(uploaded.text)
    shown = officer.get(f"/documents/{SAMPLE}.draft.v2/preview")
    assert shown.status_code == 200
    article = shown.text.split('<article class="preview">', 1)[1].split("</article>", 1)[0]
    assert "第一条" in article and "此处" in article
    assert "<script" not in article and "<img" not in article and "<a" not in article
    assert "javascript:" not in article and "onerror=" not in article.replace("onerror=alert(1)&gt;", "")
    assert "script-src 'self'" in shown.headers["content-security-policy"]
    download = officer.get(f"/documents/{SAMPLE}.draft.v2")
    assert download.headers["content-type"].startswith("application/vnd.openxmlformats")  # never text/html
    assert download.headers["content-disposition"].startswith("attachment;")
    assert download.headers["x-content-type-options"] == "nosniff"


def test_the_comparison_of_two_versions_is_a_word_download(open_client: Client) -> None:
    officer = open_client("zhang")
    act(officer, "start")
    page = officer.get(f"/duties/{SAMPLE}").text
    officer.post(
        f"/duties/{SAMPLE}/actions/upload",
        data={"csrf": csrf_of(page), "version": version_of(page)},
        files={"draft": ("修改稿.docx", REVISION, "application/octet-stream")},
    )
    page = officer.get(f"/duties/{SAMPLE}").text
    assert 'action="/compare"' in page
    got = officer.get("/compare", params={"old": f"{SAMPLE}.draft.v1", "new": f"{SAMPLE}.draft.v2"})
    assert got.status_code == 200 and got.content[:2] == b"PK"
    assert "修改对照表" in unquote(got.headers["content-disposition"])
    wrong = officer.get("/compare", params={"old": f"{SAMPLE}.explanation.v1", "new": f"{SAMPLE}.draft.v2"})
    assert wrong.status_code == 422
    other = open_client("wang").get(
        "/compare", params={"old": f"{SAMPLE}.draft.v1", "new": f"{SAMPLE}.draft.v2"}
    )
    assert other.status_code == 403


# --- the JSON API ----------------------------------------------------------------------------------------------


def test_the_api_reads_and_acts_with_the_session_and_its_csrf_token(var: Path, open_client: Client) -> None:
    assert open_client().get("/api/v1/tasks").status_code == 401
    c = open_client("zhang")
    me = c.get("/api/v1/session").json()
    tasks = c.get("/api/v1/tasks").json()
    assert SAMPLE in [t["id"] for t in tasks["tasks"]]
    page = c.get(f"/api/v1/duties/{SAMPLE}").json()
    version = page["version"]
    board = c.get("/api/v1/notices/sfb2007-129").json()
    assert SAMPLE in [r["id"] for r in board["duties"]]
    refused = c.post(f"/api/v1/duties/{SAMPLE}/actions/start", json={"version": version})
    assert refused.status_code == 403 and refused.json()["error"] == "Forbidden"  # no CSRF token
    headers = {"X-CSRF-Token": me["csrf"]}
    done = c.post(f"/api/v1/duties/{SAMPLE}/actions/start", json={"version": version}, headers=headers)
    assert done.status_code == 200 and done.json()["state"] == "起草中"
    stale = c.post(
        f"/api/v1/duties/{SAMPLE}/actions/open_consultation", json={"version": version}, headers=headers
    )
    assert (
        stale.status_code == 409
        and stale.json()["error"] == "Conflict"
        and "请刷新后重试" in stale.json()["message"]
    )
    assert c.get("/api/v1/duties/nothing.here").status_code == 404
    unknown = c.post(f"/api/v1/duties/{SAMPLE}/actions/fly", json={}, headers=headers)
    assert (
        unknown.status_code == 422 and unknown.json()["error"] == "Invalid"
    )  # not an action the schema names
    schema = c.get("/api/v1/openapi.json").json()
    assert set(schema["paths"]) >= {"/api/v1/tasks", "/api/v1/duties/{duty_id}/actions/{action}"}
    assert not [p for p in schema["paths"] if not p.startswith("/api/v1/")]  # the pages are not the API
    bad = c.post(f"/api/v1/duties/{SAMPLE}/actions/extend", json={"deadline": "soon"}, headers=headers)
    assert bad.status_code == 422 and bad.json()["error"] == "Invalid"
    other = open_client("wang")
    assert other.get(f"/api/v1/duties/{SAMPLE}").status_code == 403
    assert state_of(var)[0] is State.DRAFTING


def test_the_search_finds_duties_by_id_title_or_department_that_the_person_may_read(
    open_client: Client,
) -> None:
    officer, office = open_client("zhang"), open_client("office")
    by_department = officer.get("/search", params={"q": "财政局"})
    assert by_department.status_code == 200 and SAMPLE in by_department.text
    assert SAMPLE in officer.get("/search", params={"q": "人才培训资助"}).text
    assert SAMPLE in officer.get("/search", params={"q": "02-02-1"}).text
    assert "haiguan" not in officer.get("/search", params={"q": "海关"}).text  # not the officer's to read
    assert "sfb2007-129-13-00-3-haiguan" in office.get("/search", params={"q": "海关"}).text
    assert "没有找到" in officer.get("/search", params={"q": "%"}).text


def test_an_api_token_acts_as_its_user_until_revoked_or_expired(
    var: Path, open_client: Client, clock: Clock
) -> None:
    workflow = open_workflow(Settings(data_dir=var).resolved())
    ports = workflow.ports
    token = mint_token("zhang", now=clock(), ports=ports, days=1)
    bearer = {"Authorization": f"Bearer {token}"}
    c = open_client()
    tasks = c.get("/api/v1/tasks", headers=bearer)
    assert tasks.status_code == 200 and tasks.json()["user"] == "zhang"
    assert COOKIE not in tasks.cookies  # a token opens no session
    version = c.get(f"/api/v1/duties/{SAMPLE}", headers=bearer).json()["version"]
    done = c.post(f"/api/v1/duties/{SAMPLE}/actions/start", json={"version": version}, headers=bearer)
    assert done.status_code == 200  # no CSRF token: nothing for another site to ride on
    assert c.get(f"/documents/{SAMPLE}.draft.v1", headers=bearer).status_code == 200
    uploaded = c.post(
        f"/api/v1/duties/{SAMPLE}/upload",
        files={"draft": ("修改稿.docx", REVISION, "application/octet-stream")},
        data={"version": str(c.get(f"/api/v1/duties/{SAMPLE}", headers=bearer).json()["version"])},
        headers=bearer,
    )
    assert uploaded.status_code == 200, uploaded.text
    assert c.get(f"/documents/{SAMPLE}.draft.v2", headers=bearer).status_code == 200
    broken = c.post(
        f"/api/v1/duties/{SAMPLE}/upload", files={"draft": ("x.docx", b"no", "text/plain")}, headers=bearer
    )
    assert broken.status_code == 422 and broken.json()["error"] == "Invalid"
    for wrong in ("banfa_forged", token + "x", "not-even-ours"):
        assert c.get("/api/v1/tasks", headers={"Authorization": f"Bearer {wrong}"}).status_code == 401
    clock.advance(days=2)
    assert c.get("/api/v1/tasks", headers=bearer).status_code == 401  # expired
    lasting = mint_token("zhang", now=clock(), ports=ports)
    assert c.get("/api/v1/tasks", headers={"Authorization": f"Bearer {lasting}"}).status_code == 200
    assert revoke_tokens("zhang", now=clock(), ports=ports) == 2  # the expired one too
    assert c.get("/api/v1/tasks", headers={"Authorization": f"Bearer {lasting}"}).status_code == 401
    workflow.db_engine.dispose()


def test_the_notice_page_carries_its_charts_as_data_for_plotly_served_by_banfa(open_client: Client) -> None:
    office = open_client("office")
    act(office, "start")
    page = office.get("/notices/sfb2007-129")
    assert "'unsafe-inline'" in page.headers["content-security-policy"].split("style-src")[1].split(";")[0]
    assert "script-src 'self';" in page.headers["content-security-policy"]  # scripts stay our own
    data = re.search(r'<script type="application/json" id="gantt-data">(.*?)</script>', page.text, re.S)
    assert data is not None
    gantt = json.loads(data.group(1))
    assert [t["name"] for t in gantt["data"]][:2] == ["计划：起草", "计划：征求意见"]
    assert (
        len(gantt["data"][0]["y"]) == 22 and gantt["layout"]["title"]["text"] == "各项任务节点（计划与实际）"
    )
    assert gantt["data"][-1]["name"] == "实际完成" and gantt["data"][-1]["x"] == []  # nothing ended yet
    down = json.loads(re.search(r'id="burndown-data">(.*?)</script>', page.text, re.S).group(1))  # type: ignore[union-attr]
    assert down["data"][0]["y"][0] == 22 and down["data"][0]["y"][-1] == 0
    script = office.get("/vendor/plotly.min.js")
    assert script.status_code == 200 and b"plotly" in script.content[:2000].lower()
    filtered = office.get("/notices/sfb2007-129", params={"dept": "市财政局"})
    gantt = json.loads(re.search(r'id="gantt-data">(.*?)</script>', filtered.text, re.S).group(1))  # type: ignore[union-attr]
    assert len(gantt["data"][0]["y"]) == 2  # the chart follows the filters


def test_a_body_larger_than_any_upload_is_refused_before_it_is_read(var: Path, open_client: Client) -> None:
    c = open_client("zhang")
    before = state_of(var)
    token = csrf_of(c.get("/tasks").text)
    huge = c.post(
        f"/duties/{SAMPLE}/actions/upload",
        content=b"x" * 16,
        headers={"Content-Length": str(500 * 1024 * 1024), "Content-Type": "multipart/form-data; boundary=x"},
        params={"csrf": token},
    )
    assert huge.status_code == 413 and "过大" in huge.text
    assert state_of(var) == before


def test_a_form_sent_after_the_session_ended_comes_back_to_its_page_after_the_login(
    open_client: Client, clock: Clock
) -> None:
    c = open_client("zhang")
    page = c.get(f"/duties/{SAMPLE}").text
    clock.advance(hours=1)
    late = c.post(
        f"/duties/{SAMPLE}/actions/start", data={"csrf": csrf_of(page), "version": version_of(page)}
    )
    assert unquote(late.headers["location"]) == f"/login?next=/duties/{SAMPLE}"
    wrong_method = c.get(f"/duties/{SAMPLE}/actions/start")
    assert wrong_method.status_code in (303, 405)
    log_in(c, "zhang")
    refused = c.get(f"/duties/{SAMPLE}/actions/start")
    assert refused.status_code == 405 and "不支持该请求方式" in refused.text


class _Idle:
    """A dispatcher that leaves the machine work undone (a worker that has not picked the run up yet)."""

    def advance(self, duty_id: str, now: dt.datetime) -> None:
        return None

    def reconcile(self, now: dt.datetime) -> list[str]:
        return []


def test_while_the_stage_documents_are_made_the_page_says_so_offers_nothing_refused_and_reloads(
    var: Path, clock: Clock
) -> None:
    import dataclasses

    from engine.entrypoints.web.app import create_app

    workflow = open_workflow(Settings(data_dir=var).resolved())
    idle = dataclasses.replace(workflow, dispatcher=_Idle())
    c = TestClient(create_app(Settings(data_dir=var), workflow=idle, clock=clock), follow_redirects=False)
    log_in(c, "zhang")
    assert act(c, "start") == (303, "")
    page = c.get(f"/duties/{SAMPLE}").text
    assert "系统正在生成本阶段文稿，请稍候" in page and 'data-pending="1"' in page and "portal.js" in page
    assert 'data-action="open_consultation"' not in page and 'data-action="upload"' not in page
    version = str(state_of(var)[1])  # a form read before the work began would carry it
    refused = c.post(
        f"/duties/{SAMPLE}/actions/open_consultation", data={"csrf": csrf_of(page), "version": version}
    )
    assert refused.status_code == 409 and "系统正在生成本阶段文稿" in error_of(refused.text)
    workflow.dispatcher.advance(SAMPLE, clock())  # the worker does the work
    done = c.get(f"/duties/{SAMPLE}").text
    assert "系统正在生成本阶段文稿" not in done and 'data-action="open_consultation"' in done
    workflow.db_engine.dispose()


def test_a_no_objection_reply_sent_with_its_sealed_letter_reaches_the_reviewer(
    var: Path, open_client: Client
) -> None:
    officer = open_client("zhang")
    act(officer, "start")
    act(officer, "open_consultation")
    consultee = open_client("li")
    page = consultee.get(f"/duties/{SAMPLE}").text
    both = consultee.post(
        f"/duties/{SAMPLE}/actions/reply",
        data={"csrf": csrf_of(page), "version": version_of(page), "none": "1", "text_1": "意见"},
    )
    assert both.status_code == 422 and "只选其一" in error_of(both.text)
    replied = consultee.post(
        f"/duties/{SAMPLE}/actions/reply",
        data={"csrf": csrf_of(page), "version": version_of(page), "none": "1"},
        files={"attachments": ("无意见复函.pdf", b"%PDF-1.4 no objection", "application/pdf")},
    )
    assert replied.status_code == 303, error_of(replied.text)
    assert "答复附件1" in officer.get(f"/duties/{SAMPLE}").text
    act(officer, "close_consultation")
    act(officer, "submit")
    bundle = open_client("fa").get(f"/duties/{SAMPLE}/bundle")
    archive = zipfile.ZipFile(io.BytesIO(bundle.content))
    (letter,) = [n for n in archive.namelist() if n.endswith("无意见复函.pdf")]
    assert archive.read(letter) == b"%PDF-1.4 no objection"
    summary = next(n for n in archive.namelist() if n.endswith("答复情况.txt"))
    assert "答复附件" in archive.read(summary).decode("utf-8-sig")
