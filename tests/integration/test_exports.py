"""Exports on a real database (SQLite always, PostgreSQL when configured) with real Word documents.

The seed's sample duty is driven through consultation (one opinion with a sealed letter attached) and a
legality review; then its reviewer's bundle, the notice's 督办台账 and a 修改对照表 are exported, and the
documents are opened as Word and a spreadsheet would open them.
"""

from __future__ import annotations

import datetime as dt
import io
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import docx
import openpyxl
import pytest
from openpyxl.worksheet.worksheet import Worksheet

from engine.bootstrap import Workflow, ledger_writer
from engine.domain.drafting.decisions import Decision, Legality
from engine.domain.workflow.consultation import OpinionInput
from engine.services import workflow as wf
from engine.services.exports import Export, compare_versions, ledger, reviewer_bundle
from tests.support.workflows import SAMPLE, at, workflow_with_people

SEALED = b"%PDF-1.4 a scanned letter with a seal"
EXPORTED = at("2007-10-19", 15)
TITLE = "深圳市服务外包人才培训资助资金使用和监管办法"
WORD_FILES = (
    "01-送审函.docx",
    "02-送审稿.docx",
    "03-起草说明.docx",
    "04-征求意见稿.docx",
    "05-意见采纳情况表.docx",
    "06-征求意见函-市贸工局.docx",
    "08-审核意见书.docx",
)


@pytest.fixture
def reviewed(database_url: str, tmp_path: Path) -> Iterator[Workflow]:
    """The seed with SAMPLE consulted, decided, submitted and found lawful."""
    flow = workflow_with_people(database_url, tmp_path)[0]
    p, d = flow.ports, flow.dispatcher
    wf.start_duty(SAMPLE, actor="zhang", now=at("2007-09-11"), ports=p, dispatcher=d)
    wf.open_consultation(SAMPLE, actor="zhang", now=at("2007-09-28"), ports=p, dispatcher=d)
    opinions = (OpinionInput("第四条", "建议明确资助标准"),)
    files = ((0, SEALED, "复函.pdf"),)
    wf.record_opinion(SAMPLE, opinions, actor="li", now=at("2007-10-08"), ports=p, files=files)
    wf.close_consultation(SAMPLE, actor="zhang", now=at("2007-10-09"), ports=p, dispatcher=d)
    with p.reading() as uow:
        opinion = uow.duties.get(SAMPLE).opinions[0].id
    wf.decide_opinion(SAMPLE, opinion, Decision.ADOPTED, "", actor="zhang", now=at("2007-10-10"), ports=p)
    wf.submit_for_review(SAMPLE, actor="zhang", now=at("2007-10-11"), ports=p, dispatcher=d)
    wf.record_review(SAMPLE, Legality.LAWFUL, "", actor="fa", now=at("2007-10-18"), ports=p, dispatcher=d)
    yield flow
    flow.db_engine.dispose()


def _bundle(flow: Workflow) -> Export:
    return reviewer_bundle(SAMPLE, actor="fa", now=EXPORTED, ports=flow.ports)


def test_the_bundle_of_a_reviewed_duty_holds_real_word_documents_in_filing_order(reviewed: Workflow) -> None:
    export = _bundle(reviewed)
    with zipfile.ZipFile(io.BytesIO(export.data)) as archive:
        names = archive.namelist()
        assert names == [
            "00-材料清单.txt",
            *WORD_FILES[:6],
            "07-征求意见答复/市贸工局/答复情况.txt",
            "07-征求意见答复/市贸工局/附件1-复函.pdf",
            WORD_FILES[6],
        ]
        review_draft = docx.Document(io.BytesIO(archive.read("02-送审稿.docx")))
        opinion = docx.Document(io.BytesIO(archive.read("08-审核意见书.docx")))
        summary = archive.read("07-征求意见答复/市贸工局/答复情况.txt").decode("utf-8-sig")
        assert archive.read("07-征求意见答复/市贸工局/附件1-复函.pdf") == SEALED
    assert any(TITLE in p.text for p in review_draft.paragraphs)
    assert any("合法" in p.text for p in opinion.paragraphs)
    assert "处理情况：采纳" in summary
    assert _bundle(reviewed).data == export.data  # the same state and moment, the same bytes
    with reviewed.ports.reading() as uow:
        records = uow.audit.list(subject=SAMPLE)
    assert [(r.actor, r.action, r.at) for r in records] == [("fa", "bundle", EXPORTED)] * 2  # each recorded


def test_the_word_documents_of_the_bundle_pass_the_gbt9704_checker(
    reviewed: Workflow, tmp_path: Path, shared: Path
) -> None:
    folder = tmp_path / "bundle"
    with zipfile.ZipFile(io.BytesIO(_bundle(reviewed).data)) as archive:
        archive.extractall(folder)
    check = subprocess.run(
        [sys.executable, str(shared / "tools" / "gbt9704_check.py"), *(str(folder / n) for n in WORD_FILES)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert check.returncode == 0, check.stdout[-2000:]
    assert f"{len(WORD_FILES)} passed, 0 failed" in check.stdout


def test_the_ledger_of_the_seed_reads_back_as_the_board_stands(reviewed: Workflow) -> None:
    export = ledger(
        "sfb2007-129",
        dt.date(2007, 10, 19),
        actor="office",
        now=EXPORTED,
        ports=reviewed.ports,
        writer=ledger_writer(),
    )
    sheet = openpyxl.load_workbook(io.BytesIO(export.data)).active
    assert isinstance(sheet, Worksheet)
    rows = [r for r in sheet.iter_rows(min_row=4, values_only=True)]
    assert len(rows) == 22
    row = next(r for r in rows if r[1] == TITLE)
    assert row[2:7] == ("市财政局", "张承办", "市贸工局等", dt.datetime(2007, 12, 31), "集体审议中")
    assert row[8:19:2] == (
        dt.datetime(2007, 9, 28),
        dt.datetime(2007, 10, 9),
        dt.datetime(2007, 10, 11),
        dt.datetime(2007, 10, 18),
        None,
        None,
    )
    assert row[21] == "2007年10月18日经合法性审核，结论为合法，待集体审议"
    assert {r[6] for r in rows if r[1] != TITLE} == {"未启动"}
    with reviewed.ports.reading() as uow:
        (record,) = uow.audit.list(actor="office")
    assert (record.action, record.subject) == ("ledger", "sfb2007-129")


def test_the_generated_draft_and_the_review_draft_are_compared_as_word_documents(reviewed: Workflow) -> None:
    export = compare_versions(
        f"{SAMPLE}.draft.v1", f"{SAMPLE}.review-draft.v1", actor="zhang", now=EXPORTED, ports=reviewed.ports
    )
    assert export.filename == "修改对照表-征求意见稿第1版与送审稿第1版.docx"
    table = docx.Document(io.BytesIO(export.data))
    assert any("修改对照表" in p.text for p in table.paragraphs)
    assert table.tables
