"""Banfa's use cases, one function each: entrypoints and flows call these. Services import engine.domain only,
and reach databases, files, mail and Prefect through the ports they are given (engine.domain.ports.Ports).

Services take their ports as keyword-only arguments and return small frozen values or ids. They live in
submodules by subject (intake, documents, notices, workflow, machine, views, reminders/); the document and
intake services, which need no database, are exported here.
"""

from engine.services.documents import (
    DEFAULT_POLICY,
    MAX_ATTACHMENT_BYTES,
    DraftedDocument,
    compare_drafts,
    draft_documents,
    drafting_for,
    find_duty,
    keep_attachment,
    keep_draft,
)
from engine.services.intake import intake

__all__ = [
    "DEFAULT_POLICY",
    "MAX_ATTACHMENT_BYTES",
    "DraftedDocument",
    "compare_drafts",
    "draft_documents",
    "drafting_for",
    "find_duty",
    "intake",
    "keep_attachment",
    "keep_draft",
]
