"""The portal in a real browser (Debian's chromium, driven by Playwright): the procedure by its people, page by
page, with a screenshot of every page kept under test-artifacts/portal/ (BANFA_TEST_ARTIFACTS to move it).

The portal runs in this process under uvicorn, on a real SQLite data directory, with a clock the test moves.
"""

from __future__ import annotations

import io
import os
import shutil
import threading
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest
import uvicorn

from engine.config import Settings
from engine.entrypoints.web.app import create_app
from tests.e2e.conftest import PEOPLE
from tests.support.docx_fixtures import made_by_python_docx
from tests.support.mailbox import free_port
from tests.support.paths import ROOT
from tests.support.portal import PASSWORD, Clock, with_passwords
from tests.support.workflows import SAMPLE

CHROMIUM = Path(os.environ.get("BANFA_CHROMIUM", "/usr/bin/chromium"))
ARTIFACTS = Path(os.environ.get("BANFA_TEST_ARTIFACTS", ROOT / "test-artifacts")) / "portal"
TITLE = "深圳市服务外包人才培训资助资金使用和监管办法"

pytestmark = pytest.mark.slow
if not CHROMIUM.exists():
    if os.environ.get("BANFA_REQUIRE_BROWSER"):
        raise RuntimeError(f"{CHROMIUM} is missing: install Debian's chromium (.ci/run does)")
    pytest.skip(f"no browser at {CHROMIUM}", allow_module_level=True)

from playwright.sync_api import Page, sync_playwright  # noqa: E402


@pytest.fixture
def served(seeded_var: Path, tmp_path: Path) -> Iterator[tuple[str, Clock, Path]]:
    """The portal on a free loopback port, over a copy of the seeded data with everyone's password set."""
    var = with_passwords(seeded_var, tmp_path / "var", tuple(p[0] for p in PEOPLE if p[0] != "admin"))
    clock = Clock("2007-09-12T09:00")
    port = free_port()
    url = f"http://127.0.0.1:{port}/banfa"
    app = create_app(Settings(data_dir=var, portal_url=url), clock=clock)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "the portal did not start"
        time.sleep(0.05)
    try:
        yield url, clock, var
    finally:
        server.should_exit = True
        thread.join(10)


class Person:
    """One person's browser window."""

    def __init__(self, page: Page, url: str, user: str) -> None:
        self.page, self.url, self.user = page, url, user

    def shot(self, name: str) -> None:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)

    def log_in(self, then: str = "/tasks") -> None:
        self.page.goto(self.url + then)
        assert "/login" in self.page.url  # sent to the login page first
        self.page.fill("input[name=username]", self.user)
        self.page.fill("input[name=password]", PASSWORD)
        self.page.click("form[action$='/login'] button")
        self.page.wait_for_url(self.url + then)

    def act(
        self, action: str, fill: dict[str, str] | None = None, files: dict[str, str] | None = None
    ) -> None:
        form = f"form[data-action={action}]"
        for name, value in (fill or {}).items():
            target = self.page.locator(f"{form} [name={name}]")
            if target.evaluate("e => e.tagName") == "SELECT":
                target.select_option(value)
            else:
                target.fill(value)
        for name, path in (files or {}).items():
            self.page.set_input_files(f"{form} input[name={name}]", path)
        self.page.click(f"{form} button[type=submit]")
        self.page.wait_for_load_state()
        error = self.page.locator(".error")
        assert error.count() == 0, error.first.inner_text()
        assert "done=" in self.page.url


def test_the_procedure_in_a_browser(served: tuple[str, Clock, Path], tmp_path: Path) -> None:
    url, clock, _ = served
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    revision = tmp_path / "修改稿.docx"
    revision.write_bytes(
        made_by_python_docx(TITLE, "第一条　为了规范资助资金管理，制定本办法。", "第二条　专款专用。")
    )
    scan = tmp_path / "复函.pdf"
    scan.write_bytes(b"%PDF-1.4 sealed reply")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])

        def person(user: str, then: str = "/tasks") -> Person:
            context = browser.new_context(viewport={"width": 1366, "height": 768}, accept_downloads=True)
            who = Person(context.new_page(), url, user)
            who.log_in(then)
            return who

        officer = Person(browser.new_page(viewport={"width": 1366, "height": 768}), url, "zhang")
        officer.page.goto(url + f"/duties/{SAMPLE}")
        officer.shot("01-login")
        officer.log_in(f"/duties/{SAMPLE}")
        officer.page.goto(url + "/tasks")
        assert SAMPLE in officer.page.inner_text("table")
        officer.shot("02-tasks-officer")
        officer.page.click(f"a[href$='/duties/{SAMPLE}'] >> nth=0")
        officer.shot("03-duty-not-started")
        officer.act("start")
        officer.shot("04-duty-started")
        officer.act("upload", files={"draft": str(revision)})
        officer.act("open_consultation")
        officer.shot("05-duty-consulting")

        clock.advance(hours=3)
        consultee = person("li")
        consultee.page.goto(url + f"/duties/{SAMPLE}")
        consultee.act(
            "reply", {"clause_1": "第二条", "text_1": "建议写明审计主体。"}, {"attachments": str(scan)}
        )
        consultee.shot("06-duty-replied")

        clock.advance(minutes=20)
        officer.log_in(f"/duties/{SAMPLE}")  # three idle hours ended the officer's session
        officer.act("close_consultation")
        officer.act("decide", {"decision": "采纳", "reason": "已补充审计主体"})
        officer.act("submit")
        officer.shot("07-duty-submitted")

        clock.advance(minutes=20)
        reviewer = person("fa", f"/duties/{SAMPLE}")
        with reviewer.page.expect_download() as download:
            reviewer.page.click("text=下载送审材料")
        names = zipfile.ZipFile(download.value.path()).namelist()
        assert "02-送审稿.docx" in names and any(n.endswith("复函.pdf") for n in names)
        reviewer.act("review", {"outcome": "应当予以修改", "opinion": "第二条须明确审计主体。"})
        reviewer.shot("08-duty-returned")

        clock.advance(
            days=104
        )  # Christmas 2007: fewer working days left than the stages to come need at least
        coordinator = person("office", "/notices/sfb2007-129")
        row = coordinator.page.locator(f"tr:has(a[href$='/duties/{SAMPLE}'])")
        assert row.get_attribute("class") in ("at-risk", "overdue"), row.inner_text()
        coordinator.page.wait_for_function(
            "document.querySelectorAll('.js-plotly-plot .main-svg').length >= 2"
        )
        assert "各项任务节点" in coordinator.page.inner_text(".charts")
        coordinator.shot("09-notice")
        with coordinator.page.expect_download() as download:
            coordinator.page.click("text=下载督办台账")
        book = openpyxl.load_workbook(io.BytesIO(Path(download.value.path()).read_bytes()))
        assert any(cell.value == TITLE for r in book.active.iter_rows() for cell in r)
        coordinator.page.emulate_media(media="print")
        coordinator.page.pdf(path=str(ARTIFACTS / "10-notice-print.pdf"), landscape=True, format="A4")
        browser.close()
