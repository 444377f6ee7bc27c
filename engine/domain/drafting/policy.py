"""The procedure numbers documents are drafted to, and the port that words them: what the ports bundle carries
about drafting, kept apart from compose so that a verb which only reads does not load the composer."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol


class Wording(Protocol):
    """The wording of documents and mails: named text templates an office may edit (Jinja2, in the adapter)."""

    def render(self, template: str, context: Mapping[str, Any]) -> str:
        """Return the template `template` rendered with `context` (for documents, markup of one directive a
        line); raise TemplateError when the template is missing or fails to render."""
        ...


@dataclass(frozen=True)
class Policy:
    """Procedure numbers (domain.md §2): the reply window, whether silence is consent, a rule's validity."""

    reply_workdays: int = 7
    silence_is_consent: bool = True
    validity_years: int = 5
