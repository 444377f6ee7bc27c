"""`banfa draft` and `banfa compare` as people run them: real files, no database."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import docx
import pytest

from tests.e2e.test_cli import banfa

SAMPLE = "sfb2007-129-02-02-1-caizheng"


def test_draft_writes_every_kind_for_one_duty(tmp_path: Path) -> None:
    run = banfa("draft", SAMPLE, "--out", tmp_path, "--today", "2007-09-28")
    assert run.returncode == 0, run.stderr
    names = sorted(p.name for p in (tmp_path / SAMPLE).iterdir())
    assert names == sorted(
        [
            "征求意见稿.docx",
            "起草说明.docx",
            "征求意见函-市贸工局.docx",
            "意见采纳情况表.docx",
            "送审稿.docx",
            "送审函.docx",
            "审核意见书.docx",
            "发布稿.docx",
        ]
    )
    letter = docx.Document(str(tmp_path / SAMPLE / "征求意见函-市贸工局.docx"))
    assert any("2007年10月12日前" in p.text for p in letter.paragraphs)


@pytest.fixture(scope="module")
def two_kinds_of_every_duty(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`banfa draft --all` with two kinds, once for the tests of this module that read its folder."""
    out = tmp_path_factory.mktemp("drafts")
    run = banfa(
        "draft", "--all", "--kind", "draft", "--kind", "explanation", "--out", out, "--today", "2007-09-28"
    )
    assert run.returncode == 0, run.stderr
    return out


def test_draft_all_with_kinds_covers_every_committed_duty(two_kinds_of_every_duty: Path) -> None:
    folders = list(two_kinds_of_every_duty.iterdir())
    assert len(folders) == 22
    assert all(sorted(p.name for p in f.iterdir()) == ["征求意见稿.docx", "起草说明.docx"] for f in folders)


def test_every_drafted_document_passes_the_gbt9704_checker(
    two_kinds_of_every_duty: Path, shared: Path
) -> None:
    check = subprocess.run(
        [
            sys.executable,
            str(shared / "tools" / "gbt9704_check.py"),
            *map(str, two_kinds_of_every_duty.glob("*/*.docx")),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert check.returncode == 0, check.stdout[-2000:]
    assert "44 passed, 0 failed" in check.stdout


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["draft", "no-such-duty"], 1, "没有该任务"),
        (["draft"], 2, "--all"),
        (["draft", SAMPLE, "--all"], 2, "--all"),
        (["draft", SAMPLE, "--kind", "memo"], 2, "未知文种"),
        (["draft", SAMPLE, "--today", "yesterday"], 2, "YYYY-MM-DD"),
    ],
)
def test_draft_refuses_what_it_cannot_do_and_writes_nothing(
    tmp_path: Path, args: list[str], code: int, message: str
) -> None:
    run = banfa(*args, "--out", tmp_path / "out")
    assert run.returncode == code
    assert message in run.stderr and "Traceback" not in run.stderr
    assert not (tmp_path / "out").exists()


def _draft(path: Path, paragraphs: list[str]) -> Path:
    document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    document.save(str(path))
    return path


def test_compare_writes_a_comparison_table_of_two_uploaded_drafts(tmp_path: Path) -> None:
    old = _draft(
        tmp_path / "v1.docx",
        ["深圳市某资金管理办法", "第一条　为了规范管理，制定本办法。", "第二条　资金专款专用。"],
    )
    new = _draft(
        tmp_path / "v2.docx",
        [
            "深圳市某资金管理办法",
            "第一条　为了规范管理，制定本办法。",
            "第二条　资金专款专用，不得挪用。",
            "第三条　本办法自发布之日起施行。",
        ],
    )
    run = banfa("compare", old, new, "--out", tmp_path / "对照表.docx")
    assert run.returncode == 0, run.stderr
    table = docx.Document(str(tmp_path / "对照表.docx")).tables[0]
    rows = [[c.text for c in r.cells] for r in table.rows]
    assert rows[0] == ["原条文", "修改后条文", "说明"]
    assert ["第二条　资金专款专用。", "第二条　资金专款专用，不得挪用。", "修改"] in rows
    assert ["", "第三条　本办法自发布之日起施行。", "新增"] in rows
    assert (
        docx.Document(str(tmp_path / "对照表.docx")).paragraphs[0].text
        == "《深圳市某资金管理办法》修改对照表"
    )


def test_compare_refuses_a_file_that_is_not_a_word_document(tmp_path: Path) -> None:
    old = _draft(tmp_path / "v1.docx", ["第一条　甲。"])
    fake = tmp_path / "v2.docx"
    fake.write_bytes(b"%PDF-1.4 not a word file")
    run = banfa("compare", old, fake, "--out", tmp_path / "c.docx")
    assert run.returncode == 1 and "不是 Word" in run.stderr
    assert not (tmp_path / "c.docx").exists()
