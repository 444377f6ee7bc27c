"""Uploads: a revised draft is validated before it is kept; an opinion's attachment is kept as it is."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from engine.domain.drafting.versions import DocumentKind, Origin
from engine.domain.ports import DocumentStore
from engine.errors import UploadRejected
from engine.services.documents import keep_attachment, keep_draft
from tests.integration.test_document_store import STORES
from tests.support.docx_fixtures import made_by_python_docx, patched, r, with_body

NOW = dt.datetime(2007, 10, 15, 9, 30, tzinfo=ZoneInfo("Asia/Shanghai"))
DUTY = "sfb2007-129-02-02-1-caizheng"


@pytest.fixture(params=list(STORES))
def store(request: pytest.FixtureRequest, tmp_path: Path) -> DocumentStore:
    return STORES[request.param](tmp_path)


def test_a_valid_draft_is_kept_as_the_next_version(store: DocumentStore) -> None:
    first = keep_draft(
        made_by_python_docx("第一条　甲。"), "v1.docx", duty_id=DUTY, author="zhang", now=NOW, store=store
    )
    second = keep_draft(
        made_by_python_docx("第一条　乙。"), "v2.docx", duty_id=DUTY, author="zhang", now=NOW, store=store
    )
    assert (first.version, second.version) == (1, 2)
    assert second.origin is Origin.UPLOADED and second.kind is DocumentKind.DRAFT


def test_tracked_changes_are_kept_with_the_warning_on_the_version(store: DocumentStore) -> None:
    body = f'<w:p>{r("第一条　本办法")}<w:ins w:id="1" w:author="甲">{r("自发布之日起")}</w:ins>{r("施行。")}</w:p>'
    version = keep_draft(with_body(body), "tracked.docx", duty_id=DUTY, author="zhang", now=NOW, store=store)
    assert any("修订" in w for w in version.warnings)
    assert store.get(version.id).warnings == version.warnings


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"%PDF-1.4", "PDF"),
        (b"", "为空"),
        (patched(made_by_python_docx("第一条　甲。"), {"word/vbaProject.bin": b"macro"}), "宏"),
    ],
)
def test_a_refused_draft_changes_nothing(store: DocumentStore, data: bytes, reason: str) -> None:
    with pytest.raises(UploadRejected, match=reason):
        keep_draft(data, "bad.docx", duty_id=DUTY, author="zhang", now=NOW, store=store)
    assert store.versions(DUTY) == []


def test_an_opinion_may_carry_a_scanned_pdf_with_a_seal(store: DocumentStore) -> None:
    scan = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3 a scanned letter with a red seal"
    version = keep_attachment(
        scan,
        "市贸工局意见（盖章）.pdf",
        duty_id=DUTY,
        author="li",
        now=NOW,
        store=store,
        variant="maogong",
        media_type="application/pdf",
    )
    assert store.read(version.id) == scan
    assert (version.kind, version.media_type, version.variant) == (
        DocumentKind.ATTACHMENT,
        "application/pdf",
        "maogong",
    )


def test_an_empty_or_oversized_attachment_is_refused(store: DocumentStore) -> None:
    with pytest.raises(UploadRejected, match="为空"):
        keep_attachment(b"", "a.pdf", duty_id=DUTY, author="li", now=NOW, store=store)
    assert store.versions(DUTY) == []
