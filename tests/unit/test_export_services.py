"""Exports on the fakes: a stored document, the reviewer's bundle, the 督办台账 and the 修改对照表 of two versions.

Each is checked for who may have it (the reading rules of engine.domain.workflow.access), what it holds, and
the audit record it leaves. Documents are rendered as their repr here (tests/support/memory.py), so a bundle's
.docx entries are compared by bytes with the store; tests/integration/test_exports.py opens real ones.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import io
import zipfile
from typing import TYPE_CHECKING

import openpyxl
import pytest
from openpyxl.worksheet.worksheet import Worksheet

from engine.adapters.ledger import write_ledger
from engine.domain.drafting.decisions import Decision, Legality
from engine.domain.drafting.versions import DOCX_MEDIA_TYPE, DocumentKind
from engine.domain.ports import AuditRecord
from engine.domain.workflow.consultation import OpinionInput
from engine.domain.workflow.ledger import Ledger, LedgerRow
from engine.errors import (
    Conflict,
    DocumentNotFound,
    IllegalTransition,
    InvalidInput,
    MachineWorkPending,
    NoticeNotFound,
    NotPermitted,
    NotReadable,
)
from engine.services import workflow as wf
from engine.services.accounts import disable_user
from engine.services.exports import compare_versions, export_document, ledger, reviewer_bundle
from tests.support.docx_fixtures import made_by_python_docx
from tests.support.workflows import SAMPLE, at

if TYPE_CHECKING:
    from tests.unit.conftest import World

NOTICE = "sfb2007-129"
CO_CONSULTED = "sfb2007-129-01-03-1-maogong"  # led by 市贸工局; consults 市财政局 and 市科技和信息局
OPINION = f"{SAMPLE}.r1.maogong.1"
SEALED = b"%PDF-1.4 a scanned letter with a seal"
EXPORTED = at("2007-10-19", 15)
TITLE = "深圳市服务外包人才培训资助资金使用和监管办法"
REVISION = made_by_python_docx(
    TITLE, "第一条　为了规范资助资金管理，制定本办法。", "第二条　资助资金实行专款专用。"
)
REVISED_AGAIN = made_by_python_docx(
    TITLE, "第一条　为了规范资助资金管理，制定本办法。", "第二条　资助资金实行专款专用，接受审计监督。"
)


# --- driving the sample duty ---------------------------------------------------------------------------------


def _consulted(world: World, files: tuple[tuple[int, bytes, str], ...] = ((0, SEALED, "复函.pdf"),)) -> None:
    p, d = world.ports, world.dispatcher
    wf.start_duty(SAMPLE, actor="zhang", now=at("2007-09-11"), ports=p, dispatcher=d)
    wf.open_consultation(SAMPLE, actor="zhang", now=at("2007-09-28"), ports=p, dispatcher=d)
    opinions = (OpinionInput("第四条", "建议明确资助标准"),)
    wf.record_opinion(SAMPLE, opinions, actor="li", now=at("2007-10-08"), ports=p, files=files)
    wf.close_consultation(SAMPLE, actor="zhang", now=at("2007-10-09"), ports=p, dispatcher=d)
    wf.decide_opinion(
        SAMPLE, OPINION, Decision.PARTLY_ADOPTED, "标准另行制定", actor="zhang", now=at("2007-10-10"), ports=p
    )


def _reviewed(world: World) -> None:
    """SAMPLE consulted (one opinion with a sealed letter attached), submitted and found lawful."""
    _consulted(world)
    p, d = world.ports, world.dispatcher
    wf.submit_for_review(SAMPLE, actor="zhang", now=at("2007-10-11"), ports=p, dispatcher=d)
    wf.record_review(SAMPLE, Legality.LAWFUL, "", actor="fa", now=at("2007-10-18"), ports=p, dispatcher=d)


def _audit(world: World, actor: str) -> list[AuditRecord]:
    with world.ports.uow() as uow:
        return uow.audit.list(actor=actor)


def _entries(data: bytes) -> list[zipfile.ZipInfo]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return archive.infolist()


def _read(data: bytes, name: str) -> bytes:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return archive.read(name)


# --- one document --------------------------------------------------------------------------------------------


def test_a_generated_document_is_exported_under_its_duty_title_and_version_and_is_audited(
    world: World,
) -> None:
    _consulted(world)
    draft = world.ports.documents.latest(SAMPLE, DocumentKind.DRAFT)
    assert draft is not None and draft.filename == "征求意见稿.docx"
    export = export_document(draft.id, actor="zhang", now=EXPORTED, ports=world.ports)
    # Every duty has a 征求意见稿.docx: a reviewer who downloads several must tell them apart.
    name = f"{TITLE}-征求意见稿-第{draft.version}版.docx"
    assert (export.filename, export.media_type) == (name, DOCX_MEDIA_TYPE)
    assert export.data == world.ports.documents.read(draft.id)
    (record,) = _audit(world, "zhang")
    assert (record.at, record.action, record.subject) == (EXPORTED, "export", draft.id)
    assert name in record.detail
    assert hashlib.sha256(export.data).hexdigest() in record.detail


@pytest.mark.parametrize(
    ("actor", "allowed"),
    [
        ("zhang", True),  # the lead department's officer
        ("li", True),  # the consulted department: its own letter
        ("office", True),  # the coordinating office
        ("admin", True),
        ("zhao", False),  # a department never consulted on this duty
        ("wang", False),  # an officer of another department
        ("fa", False),  # the legal office, before the duty is submitted
    ],
)
def test_who_may_export_a_consultation_letter_follows_the_reading_rules(
    world: World, actor: str, allowed: bool
) -> None:
    _consulted(world)
    letter = f"{SAMPLE}.consultation-letter.maogong.v1"
    if allowed:
        assert export_document(letter, actor=actor, now=EXPORTED, ports=world.ports).filename == (
            f"{TITLE}-征求意见函-市贸工局-第1版.docx"
        )
    else:
        with pytest.raises(NotReadable, match="无权查看"):
            export_document(letter, actor=actor, now=EXPORTED, ports=world.ports)
        assert _audit(world, actor) == []


def test_an_attachment_keeps_its_own_name_without_the_folders_it_was_sent_with(world: World) -> None:
    _consulted(world, files=((0, SEALED, "..\\扫描件/复函（盖章）.pdf"),))
    (attachment,) = world.ports.documents.versions(SAMPLE, DocumentKind.ATTACHMENT)
    export = export_document(attachment.id, actor="li", now=EXPORTED, ports=world.ports)
    assert (export.filename, export.media_type, export.data) == (
        "复函（盖章）.pdf",
        "application/pdf",
        SEALED,
    )


def test_an_unknown_document_is_not_found_and_records_nothing(world: World) -> None:
    with pytest.raises(DocumentNotFound):
        export_document(f"{SAMPLE}.draft.v9", actor="admin", now=EXPORTED, ports=world.ports)
    assert _audit(world, "admin") == []


def test_the_system_identity_and_a_disabled_account_may_export_nothing(world: World) -> None:
    _consulted(world)
    draft = f"{SAMPLE}.draft.v1"
    disable_user("office", now=at("2007-10-12"), ports=world.ports)
    for actor in ("system", "office"):
        with pytest.raises(NotPermitted):
            export_document(draft, actor=actor, now=EXPORTED, ports=world.ports)


# --- the reviewer's bundle -----------------------------------------------------------------------------------


def test_the_bundle_holds_the_review_materials_in_filing_order(world: World) -> None:
    _reviewed(world)
    export = reviewer_bundle(SAMPLE, actor="fa", now=EXPORTED, ports=world.ports)
    assert (export.filename, export.media_type) == (f"送审材料-{TITLE}.zip", "application/zip")
    assert [e.filename for e in _entries(export.data)] == [
        "00-材料清单.txt",
        "01-送审函.docx",
        "02-送审稿.docx",
        "03-起草说明.docx",
        "04-征求意见稿.docx",
        "05-意见采纳情况表.docx",
        "06-征求意见函-市贸工局.docx",
        "07-征求意见答复/市贸工局/答复情况.txt",
        "07-征求意见答复/市贸工局/附件1-复函.pdf",
        "08-审核意见书.docx",
    ]
    assert _read(export.data, "07-征求意见答复/市贸工局/附件1-复函.pdf") == SEALED


def test_each_document_in_the_bundle_is_its_newest_version(world: World) -> None:
    _consulted(world)
    p, d = world.ports, world.dispatcher
    wf.upload_draft(
        SAMPLE, REVISION, "修改稿.docx", actor="zhang", now=at("2007-10-10", 16), ports=p, dispatcher=d
    )
    wf.submit_for_review(SAMPLE, actor="zhang", now=at("2007-10-11"), ports=p, dispatcher=d)
    export = reviewer_bundle(SAMPLE, actor="zhang", now=EXPORTED, ports=world.ports)
    store = world.ports.documents
    for name, kind in (
        ("03-起草说明.docx", DocumentKind.EXPLANATION),
        ("04-征求意见稿.docx", DocumentKind.DRAFT),
        ("05-意见采纳情况表.docx", DocumentKind.ADOPTION_TABLE),
    ):
        newest = store.latest(SAMPLE, kind)
        assert newest is not None and newest.version == 2, name  # each has an older version too
        assert _read(export.data, name) == store.read(newest.id), name
    assert _read(export.data, "04-征求意见稿.docx") == REVISION
    assert "08-审核意见书.docx" not in [e.filename for e in _entries(export.data)]  # no review yet


def test_the_reply_summary_lists_each_opinion_and_its_decision_for_notepad(world: World) -> None:
    _reviewed(world)
    export = reviewer_bundle(SAMPLE, actor="fa", now=EXPORTED, ports=world.ports)
    raw = _read(export.data, "07-征求意见答复/市贸工局/答复情况.txt")
    assert raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw and b"\n" not in raw.replace(b"\r\n", b"")
    text = raw.decode("utf-8-sig")
    for expected in (
        f"深圳市贸易工业局对《{TITLE}》的答复情况",
        "第1轮征求意见：2007年9月28日发出，答复期限2007年10月12日",
        "答复情况：提出意见（2007年10月8日，李联络）",
        "条款：第四条",
        "建议明确资助标准",
        "附件：附件1-复函.pdf",
        "处理情况：部分采纳（理由：标准另行制定）",
    ):
        assert expected in text
    index = _read(export.data, "00-材料清单.txt").decode("utf-8-sig")
    assert "导出：2007年10月19日 15:00，法制办审核员（fa）" in index
    assert hashlib.sha256(SEALED).hexdigest() in index


def test_every_department_asked_has_its_letter_and_its_replies_even_when_silent(world: World) -> None:
    p, d = world.ports, world.dispatcher
    wf.start_duty(CO_CONSULTED, actor="admin", now=at("2007-09-11"), ports=p, dispatcher=d)
    wf.open_consultation(CO_CONSULTED, actor="admin", now=at("2007-09-28"), ports=p, dispatcher=d)
    wf.record_opinion(CO_CONSULTED, (), actor="admin", department="caizheng", now=at("2007-10-08"), ports=p)
    wf.close_consultation(CO_CONSULTED, actor="admin", now=at("2007-10-15"), ports=p, dispatcher=d)
    wf.submit_for_review(CO_CONSULTED, actor="admin", now=at("2007-10-16"), ports=p, dispatcher=d)
    export = reviewer_bundle(CO_CONSULTED, actor="office", now=EXPORTED, ports=world.ports)
    names = [e.filename for e in _entries(export.data)]
    assert names[6:10] == [
        "06-征求意见函-市财政局.docx",
        "06-征求意见函-市科技信息局.docx",
        "07-征求意见答复/市财政局/答复情况.txt",
        "07-征求意见答复/市科技信息局/答复情况.txt",
    ]
    paper = _read(export.data, "07-征求意见答复/市财政局/答复情况.txt").decode("utf-8-sig")
    assert "无意见（2007年10月8日，管理员，纸质答复代录）" in paper
    silent = _read(export.data, "07-征求意见答复/市科技信息局/答复情况.txt").decode("utf-8-sig")
    assert "答复情况：逾期未反馈" in silent


def test_two_bundles_of_the_same_state_are_byte_identical_with_utf8_names_dated_at_the_export(
    world: World,
) -> None:
    _reviewed(world)
    first = reviewer_bundle(SAMPLE, actor="fa", now=EXPORTED, ports=world.ports).data
    again = reviewer_bundle(SAMPLE, actor="fa", now=EXPORTED, ports=world.ports).data
    later = reviewer_bundle(SAMPLE, actor="fa", now=EXPORTED + dt.timedelta(hours=1), ports=world.ports).data
    assert first == again and first != later
    for entry in _entries(first):
        assert entry.flag_bits & 0x800, entry.filename
        assert entry.date_time == (2007, 10, 19, 15, 0, 0)
    utc = EXPORTED.astimezone(dt.UTC)  # the same moment given in another zone makes the same bytes
    assert reviewer_bundle(SAMPLE, actor="fa", now=utc, ports=world.ports).data == first


@pytest.mark.parametrize(
    ("actor", "allowed"),
    [
        *(("fa", True), ("zhang", True), ("office", True), ("admin", True)),
        *(("li", False), ("zhao", False), ("wang", False)),  # li: 市贸工局 is consulted, not the coordinator
    ],
)
def test_only_who_reads_the_duty_whole_may_have_its_bundle(world: World, actor: str, allowed: bool) -> None:
    _reviewed(world)
    if allowed:
        assert reviewer_bundle(SAMPLE, actor=actor, now=EXPORTED, ports=world.ports).data
        assert [r.action for r in _audit(world, actor)] == ["bundle"]
    else:
        with pytest.raises(NotReadable):
            reviewer_bundle(SAMPLE, actor=actor, now=EXPORTED, ports=world.ports)
        assert _audit(world, actor) == []


def test_a_duty_not_yet_submitted_has_no_bundle(world: World) -> None:
    _consulted(world)
    with pytest.raises(IllegalTransition, match="尚未报送合法性审核") as refused:
        reviewer_bundle(SAMPLE, actor="zhang", now=EXPORTED, ports=world.ports)
    assert isinstance(refused.value, Conflict)
    with pytest.raises(NotReadable):  # the legal office does not see the duty before it is submitted
        reviewer_bundle(SAMPLE, actor="fa", now=EXPORTED, ports=world.ports)
    assert _audit(world, "zhang") == []


def test_a_bundle_waits_for_the_review_documents_to_be_made(world: World) -> None:
    _consulted(world)
    p = world.ports
    idle = world.fresh_dispatcher(work=False)
    wf.submit_for_review(SAMPLE, actor="zhang", now=at("2007-10-11"), ports=p, dispatcher=idle)
    with pytest.raises(MachineWorkPending):
        reviewer_bundle(SAMPLE, actor="fa", now=EXPORTED, ports=p)


def test_the_bundle_is_audited_with_who_when_and_the_checksum_of_what_was_handed_over(world: World) -> None:
    _reviewed(world)
    export = reviewer_bundle(SAMPLE, actor="fa", now=EXPORTED, ports=world.ports)
    (record,) = _audit(world, "fa")
    assert (record.at, record.action, record.subject) == (EXPORTED, "bundle", SAMPLE)
    assert "10 个文件" in record.detail and hashlib.sha256(export.data).hexdigest() in record.detail


# --- the 督办台账 -----------------------------------------------------------------------------------------------


def _sheet(data: bytes) -> Worksheet:
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    assert isinstance(sheet, Worksheet)
    return sheet


def _rows(sheet: Worksheet) -> dict[str, tuple[object, ...]]:
    """The duty rows by their 编号 and 任务 (two duties may share an item of the notice)."""
    return {f"{r[0]} {r[1]}": r for r in sheet.iter_rows(min_row=4, values_only=True)}


def _duties(world: World) -> int:
    with world.ports.uow() as uow:
        return len(uow.duties.list(NOTICE))


def test_the_coordinating_office_gets_every_duty_with_dates_written_as_dates(world: World) -> None:
    _reviewed(world)
    export = ledger(
        NOTICE, dt.date(2007, 10, 19), actor="office", now=EXPORTED, ports=world.ports, writer=write_ledger
    )
    assert export.filename == "督办台账-sfb2007-129-2007-10-19.xlsx"
    sheet = _sheet(export.data)
    assert sheet.title == "督办台账"
    assert (
        sheet["A1"].value
        == "《深圳市人民政府办公厅关于全市服务外包工作部门分工的通知》（深府办〔2007〕129号）督办台账"
    )
    assert (sheet["V1"].value, sheet["W1"].value) == ("统计截至", dt.datetime(2007, 10, 19))
    assert [c.value for c in sheet[2]][:8] == [
        "编号",
        "任务",
        "牵头单位",
        "承办人",
        "会同单位",
        "完成时限",
        "状态",
        "起草",
    ]
    assert [c.value for c in sheet[2]][19:] == ["剩余/逾期工作日", "风险", "进展情况", "备注"]
    assert [c.value for c in sheet[3]][7:19] == ["计划", "实际"] * 6
    assert [c.value for c in sheet[2]][7:19:2] == ["起草", "征求意见", "修改", "审查", "集体审议", "发布"]
    rows = _rows(sheet)
    assert len(rows) == _duties(world) == 22
    row = rows[f"二(二)-1 {TITLE}"]
    assert row[2:7] == ("市财政局", "张承办", "市贸工局等", dt.datetime(2007, 12, 31), "集体审议中")
    actual = row[8:19:2]
    assert actual == (
        dt.datetime(2007, 9, 28),
        dt.datetime(2007, 10, 9),
        dt.datetime(2007, 10, 11),
        dt.datetime(2007, 10, 18),
        None,
        None,
    )
    assert all(isinstance(day, dt.datetime) for day in row[7:19:2])  # every milestone planned
    assert row[19:22] == (51, "正常", "2007年10月18日经合法性审核，结论为合法，待集体审议")
    assert sheet.cell(row=4, column=6).number_format == "yyyy-mm-dd"


def test_the_ledger_is_laid_out_to_be_filtered_on_screen_and_printed_on_a4_landscape(world: World) -> None:
    export = ledger(
        NOTICE, dt.date(2007, 10, 19), actor="admin", now=EXPORTED, ports=world.ports, writer=write_ledger
    )
    sheet = _sheet(export.data)
    assert sheet.freeze_panes == "C4"
    assert sheet.auto_filter.ref == "A3:W25"
    assert sheet.print_title_rows == "$1:$3"  # the title and the two header rows
    setup = sheet.page_setup
    assert (setup.orientation, int(setup.paperSize), int(setup.fitToWidth), int(setup.fitToHeight)) == (
        ("landscape", 9, 1, 0)  # paper size 9 is A4; fitted to one page wide, as many pages down as it takes
    )
    assert sheet.sheet_properties.pageSetUpPr.fitToPage


def test_overdue_rows_are_filled_and_count_the_working_days_overdue(world: World) -> None:
    _reviewed(world)
    p, d = world.ports, world.dispatcher
    wf.deliberate(SAMPLE, True, "", actor="office", now=at("2007-10-22"), ports=p, dispatcher=d)
    wf.publish(
        SAMPLE,
        "深财〔2007〕35号",
        dt.date(2007, 10, 23),
        dt.date(2008, 1, 1),
        actor="zhang",
        now=at("2007-10-23"),
        ports=p,
        dispatcher=d,
    )
    export = ledger(
        NOTICE, dt.date(2008, 1, 8), actor="office", now=at("2008-01-08"), ports=p, writer=write_ledger
    )
    sheet = _sheet(export.data)
    rows = list(sheet.iter_rows(min_row=4))
    published = next(r for r in rows if r[1].value == TITLE)
    late = next(r for r in rows if r[0].value == "一(三)")
    assert late[6].value == "未启动" and late[20].value == "已逾期"
    assert late[19].value == -5 and late[19].number_format == '0;"逾期"0;0'  # 2007-12-29 → 2008-01-08
    assert {c.fill.fgColor.rgb for c in late} == {"00FFC7CE"}
    assert published[6].value == "已发布" and published[20].value is None
    assert published[18].value == dt.datetime(2007, 10, 23)  # 发布, actual
    assert published[21].value == "2007年10月23日以深财〔2007〕35号发布，2008年1月1日起施行，待备案"
    assert {c.fill.fill_type for c in published} == {None}


def test_text_that_looks_like_a_formula_is_written_as_text_never_as_a_formula() -> None:
    hostile = ('=HYPERLINK("http://x","点击")', "+86 755 1234", "-1+2", "@SUM(A1:A9)", "\t=1+1")
    row = LedgerRow(
        number=hostile[0],
        task=hostile[1],
        lead=hostile[2],
        officer=hostile[3],
        co_departments=hostile[4],
        deadline=None,
        state="起草中\x07",  # a control character a workbook cannot hold is dropped
        planned=(None,) * 6,
        actual=(None,) * 6,
        workdays_left=None,
        risk="",
        progress="=cmd|' /C calc'!A0",
        remarks="普通文字",
    )
    sheet = _sheet(write_ledger(Ledger("=标题", dt.date(2007, 10, 19), (row,))))
    cells = [sheet.cell(row=4, column=c) for c in (1, 2, 3, 4, 5, 22)]
    assert [c.value for c in cells] == [*hostile, "=cmd|' /C calc'!A0"]
    assert {c.data_type for c in cells} == {"s"} and all(c.quotePrefix for c in cells)
    assert sheet["A1"].data_type == "s" and sheet["A1"].value == "=标题"
    assert sheet.cell(row=4, column=7).value == "起草中"
    assert sheet.cell(row=4, column=23).quotePrefix is False


def test_someone_outside_the_coordinating_office_gets_only_the_duties_they_may_read(world: World) -> None:
    _reviewed(world)
    export = ledger(
        NOTICE, dt.date(2007, 10, 19), actor="zhao", now=EXPORTED, ports=world.ports, writer=write_ledger
    )
    sheet = _sheet(export.data)
    assert str(sheet["A1"].value).endswith("督办台账（仅含本人可查看的任务）")
    leads = {r[2] for r in sheet.iter_rows(min_row=4, values_only=True)}
    assert leads == {"市人事局"} and 0 < len(_rows(sheet)) < 22
    assert "仅可查看的任务" in _audit(world, "zhao")[0].detail
    reviewer = _sheet(
        ledger(
            NOTICE, dt.date(2007, 10, 19), actor="fa", now=EXPORTED, ports=world.ports, writer=write_ledger
        ).data
    )
    assert [r[1] for r in reviewer.iter_rows(min_row=4, values_only=True)] == [
        TITLE
    ]  # from its submission on


def test_someone_who_may_read_no_duty_of_the_notice_is_refused_and_an_unknown_notice_is_not_found(
    world: World,
) -> None:
    with pytest.raises(NotReadable, match="督办台账"):
        ledger(
            NOTICE, dt.date(2007, 10, 19), actor="fa", now=EXPORTED, ports=world.ports, writer=write_ledger
        )
    with pytest.raises(NoticeNotFound):
        ledger(
            "no-such-notice",
            dt.date(2007, 10, 19),
            actor="admin",
            now=EXPORTED,
            ports=world.ports,
            writer=write_ledger,
        )
    assert _audit(world, "fa") == _audit(world, "admin") == []


def test_the_ledger_says_how_each_duty_is_progressing_and_what_else_to_know(world: World) -> None:
    p, d = world.ports, world.dispatcher
    wf.start_duty(SAMPLE, actor="zhang", now=at("2007-09-11"), ports=p, dispatcher=d)
    wf.open_consultation(SAMPLE, actor="zhang", now=at("2007-09-28"), ports=p, dispatcher=d)
    wf.extend_deadline(
        SAMPLE, dt.date(2008, 3, 31), "需补充调研", actor="office", now=at("2007-10-08"), ports=p
    )
    export = ledger(NOTICE, dt.date(2007, 10, 8), actor="office", now=EXPORTED, ports=p, writer=write_ledger)
    row = _rows(_sheet(export.data))[f"二(二)-1 {TITLE}"]
    assert row[5] == dt.datetime(2008, 3, 31)
    assert row[21] == "2007年9月28日起征求1个单位意见，已答复0个，2007年10月12日截止"
    assert row[22] == "2007年10月8日延期至2008年3月31日（需补充调研）"


def test_the_ledger_is_audited_with_the_day_it_counts_to(world: World) -> None:
    export = ledger(
        NOTICE, dt.date(2007, 10, 19), actor="office", now=EXPORTED, ports=world.ports, writer=write_ledger
    )
    (record,) = _audit(world, "office")
    assert (record.at, record.action, record.subject) == (EXPORTED, "ledger", NOTICE)
    assert "统计截至 2007-10-19，22 项" in record.detail
    assert hashlib.sha256(export.data).hexdigest() in record.detail


# --- the 修改对照表 of two stored versions ----------------------------------------------------------------------


def _two_revisions(world: World) -> tuple[str, str]:
    p, d = world.ports, world.dispatcher
    wf.start_duty(SAMPLE, actor="zhang", now=at("2007-09-11"), ports=p, dispatcher=d)
    for day, data in (("2007-09-20", REVISION), ("2007-09-21", REVISED_AGAIN)):
        wf.upload_draft(SAMPLE, data, "修改稿.docx", actor="zhang", now=at(day), ports=p, dispatcher=d)
    return f"{SAMPLE}.draft.v2", f"{SAMPLE}.draft.v3"


def test_two_stored_revisions_are_compared_clause_by_clause(world: World) -> None:
    old, new = _two_revisions(world)
    export = compare_versions(old, new, actor="zhang", now=EXPORTED, ports=world.ports)
    assert (export.filename, export.media_type) == ("修改对照表-征求意见稿第2版与第3版.docx", DOCX_MEDIA_TYPE)
    rendered = export.data.decode("utf-8")  # the fake renders the content as its repr
    assert "接受审计监督" in rendered and "资助资金实行专款专用" in rendered
    (record,) = _audit(world, "zhang")
    assert (record.action, record.subject) == ("compare", new)
    assert f"{old} → {new}" in record.detail


def test_only_versions_of_one_duty_s_text_are_compared(world: World) -> None:
    old, _ = _two_revisions(world)
    p, d = world.ports, world.dispatcher
    wf.open_consultation(SAMPLE, actor="zhang", now=at("2007-09-28"), ports=p, dispatcher=d)
    letter = f"{SAMPLE}.consultation-letter.maogong.v1"
    with pytest.raises(InvalidInput, match="征求意见函"):
        compare_versions(old, letter, actor="zhang", now=EXPORTED, ports=p)
    wf.start_duty(CO_CONSULTED, actor="admin", now=at("2007-09-11"), ports=p, dispatcher=d)
    with pytest.raises(InvalidInput, match="不属于同一任务"):
        compare_versions(old, f"{CO_CONSULTED}.draft.v1", actor="admin", now=EXPORTED, ports=p)
    assert _audit(world, "zhang") == _audit(world, "admin") == []


def test_a_version_the_user_may_not_read_is_not_compared(world: World) -> None:
    old, new = _two_revisions(world)
    with pytest.raises(NotReadable):
        compare_versions(old, new, actor="zhao", now=EXPORTED, ports=world.ports)
    with pytest.raises(DocumentNotFound):
        compare_versions(old, f"{SAMPLE}.draft.v9", actor="zhang", now=EXPORTED, ports=world.ports)


def test_an_export_is_frozen(world: World) -> None:
    _consulted(world)
    export = export_document(f"{SAMPLE}.draft.v1", actor="zhang", now=EXPORTED, ports=world.ports)
    with pytest.raises(dataclasses.FrozenInstanceError):
        export.filename = "别的.docx"  # type: ignore[misc]
