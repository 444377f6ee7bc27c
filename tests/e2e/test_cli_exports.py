"""`banfa export`, `banfa bundle`, `banfa ledger` and `banfa compare --versions` as people run them.

One data directory, built once for the module through the CLI: the seed ingested, the sample duty consulted
(one opinion with an attachment), decided, submitted and found lawful. Exports only add to the audit trail, so
the tests share it.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import docx
import openpyxl
import pytest

from tests.e2e.test_cli_workflow import run

SAMPLE = "sfb2007-129-02-02-1-caizheng"
NOW = ("--now", "2007-10-19T15:00")
VERSIONS = ("--versions", f"{SAMPLE}.draft.v1", f"{SAMPLE}.review-draft.v1")
NOT_DRAFTS = ("--versions", f"{SAMPLE}.draft.v1", f"{SAMPLE}.consultation-letter.maogong.v1")


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("exports") / "var"
    for user, department, role in (
        ("admin", "maogong", "admin"),
        ("zhang", "caizheng", "officer"),
        ("li", "maogong", "consultee"),
        ("fa", "fazhiban", "reviewer"),
        ("office", "maogong", "coordinator"),
    ):
        added = run(folder, "user", "add", user, "--name", user, "--dept", department, "--role", role)
        assert added.returncode == 0, added.stderr
    opinions = folder.parent / "opinions.toml"
    opinions.write_text(
        '[[opinion]]\nclause = "第四条"\ntext = "建议明确资助标准"\nattachments = ["复函.pdf"]\n'
    )
    (folder.parent / "复函.pdf").write_bytes(b"%PDF-1.4 sealed")
    for step in (
        ("ingest", "--as", "admin", "--now", "2007-09-11T09:00"),
        ("start", SAMPLE, "--as", "zhang", "--now", "2007-09-11T09:30"),
        ("consult", SAMPLE, "--as", "zhang", "--now", "2007-09-28T10:00"),
        ("opinion", SAMPLE, "--as", "li", "--file", opinions, "--now", "2007-10-08T10:00"),
        ("close", SAMPLE, "--as", "zhang", "--now", "2007-10-09T09:00"),
        (
            "decide",
            SAMPLE,
            f"{SAMPLE}.r1.maogong.1",
            "--decision",
            "采纳",
            "--as",
            "zhang",
            "--now",
            "2007-10-10T09:00",
        ),
        ("submit", SAMPLE, "--as", "zhang", "--now", "2007-10-11T09:00"),
        ("review", SAMPLE, "--as", "fa", "--outcome", "合法", "--now", "2007-10-18T09:00"),
    ):
        result = run(folder, *step)
        assert result.returncode == 0, (step, result.stderr)
    return folder


def test_export_writes_a_stored_version_under_its_chinese_name(data: Path, tmp_path: Path) -> None:
    result = run(data, "export", f"{SAMPLE}.draft.v1", "--out", tmp_path, "--as", "zhang", *NOW)
    assert result.returncode == 0, result.stderr
    written = tmp_path / "深圳市服务外包人才培训资助资金使用和监管办法-征求意见稿-第1版.docx"
    assert f"已导出文档：{written}" in result.stdout
    assert any("征求意见稿" in p.text for p in docx.Document(str(written)).paragraphs)
    attachment = run(data, "export", f"{SAMPLE}.attachment.maogong.v1", "--out", tmp_path, "--as", "li", *NOW)
    assert attachment.returncode == 0, attachment.stderr
    assert (tmp_path / "复函.pdf").read_bytes() == b"%PDF-1.4 sealed"


def test_bundle_writes_the_review_materials_as_a_zip(data: Path, tmp_path: Path) -> None:
    target = tmp_path / "送审材料.zip"
    result = run(data, "bundle", SAMPLE, "--out", target, "--as", "fa", *NOW)
    assert result.returncode == 0, result.stderr
    assert "已导出送审材料" in result.stdout
    with zipfile.ZipFile(target) as archive:
        names = archive.namelist()
    assert names[:3] == ["00-材料清单.txt", "01-送审函.docx", "02-送审稿.docx"]
    assert "07-征求意见答复/市贸工局/附件1-复函.pdf" in names and names[-1] == "08-审核意见书.docx"
    again = tmp_path / "again.zip"
    assert run(data, "bundle", SAMPLE, "--out", again, "--as", "fa", *NOW).returncode == 0
    assert again.read_bytes() == target.read_bytes()


def test_ledger_writes_the_notice_s_supervision_ledger(data: Path, tmp_path: Path) -> None:
    target = tmp_path / "督办台账.xlsx"
    result = run(
        data, "ledger", "sfb2007-129", "--out", target, "--as", "office", "--today", "2007-10-19", *NOW
    )
    assert result.returncode == 0, result.stderr
    assert "已导出督办台账" in result.stdout
    sheet = openpyxl.load_workbook(io.BytesIO(target.read_bytes())).active
    assert sheet is not None
    rows = list(sheet.iter_rows(min_row=4, values_only=True))
    assert len(rows) == 22
    assert next(r for r in rows if r[0] == "二(二)-1")[6] == "集体审议中"


def test_compare_versions_writes_the_comparison_of_two_stored_versions(data: Path, tmp_path: Path) -> None:
    target = tmp_path / "对照表.docx"
    result = run(data, "compare", *VERSIONS, "--out", target, "--as", "zhang", *NOW)
    assert result.returncode == 0, result.stderr
    assert f"已生成修改对照表：{target}" in result.stdout
    assert docx.Document(str(target)).tables


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (("bundle", SAMPLE, "--out", "{tmp}/b.zip", "--as", "li"), 6, "无权查看"),
        (("export", f"{SAMPLE}.review-draft.v1", "--out", "{tmp}", "--as", "li"), 6, "无权查看"),
        (("ledger", "sfb2007-129", "--out", "{tmp}/l.xlsx", "--as", "nobody"), 1, "没有该用户"),
        (("ledger", "no-such-notice", "--out", "{tmp}/l.xlsx", "--as", "office"), 1, "没有该通知"),
        (
            ("ledger", "sfb2007-129", "--out", "{tmp}/l.xlsx", "--as", "office", "--today", "昨天"),
            2,
            "YYYY-MM-DD",
        ),
        (("export", f"{SAMPLE}.draft.v9", "--out", "{tmp}", "--as", "zhang"), 1, "没有该文档"),
        (("compare", "--out", "{tmp}/c.docx"), 2, "--versions"),
        (("compare", *VERSIONS, "--out", "{tmp}/c.docx"), 2, "--as"),
        (("compare", *VERSIONS, "--out", "{tmp}/c.docx", "--as", "zhang", "{tmp}/a.docx"), 2, "二选一"),
        (("compare", *NOT_DRAFTS, "--out", "{tmp}/c.docx", "--as", "zhang"), 1, "只能比较"),
    ],
    ids=[
        "bundle-not-readable",
        "document-not-readable",
        "unknown-user",
        "unknown-notice",
        "bad-day",
        "unknown-document",
        "compare-without-files-or-versions",
        "versions-without-actor",
        "both-forms",
        "not-a-draft",
    ],
)
def test_refused_exports_get_their_exit_codes_and_write_nothing(
    data: Path, tmp_path: Path, args: tuple[str, ...], code: int, message: str
) -> None:
    (tmp_path / "a.docx").write_bytes(b"")
    result = run(data, *(a.replace("{tmp}", str(tmp_path)) for a in args), *NOW)
    assert result.returncode == code, result.stderr
    assert message in result.stderr and "Traceback" not in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.docx"]
