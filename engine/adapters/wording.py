"""Load the document wording: Jinja2 text templates, one per kind of document, that people may edit.

An adapter: it reads `<templates>/text/*.j2` once and renders from memory, so composing stays pure. Missing
variables are errors (StrictUndefined), so a typo in a template fails loudly instead of printing nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

import jinja2

from engine.domain.textform import cn_numeral, format_date
from engine.errors import TemplateError


def _date(value: dt.date | str) -> str:
    return format_date(value) if isinstance(value, dt.date) else str(value)


class JinjaWording:
    """The `Wording` port over a folder of Jinja2 templates named `<name>.j2`."""

    def __init__(self, directory: Path) -> None:
        try:
            sources = {p.stem: p.read_text("utf-8") for p in sorted(directory.glob("*.j2"))}
        except (OSError, UnicodeDecodeError) as exc:
            raise TemplateError(str(directory), f"无法读取文字模板：{exc}") from exc
        self.directory = directory
        self.env = jinja2.Environment(
            loader=jinja2.DictLoader(sources),
            undefined=jinja2.StrictUndefined,
            autoescape=False,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
        )
        self.env.filters["date"] = _date
        self.env.filters["cn"] = cn_numeral

    def render(self, template: str, context: Mapping[str, Any]) -> str:
        try:
            return self.env.get_template(template).render(context)
        except jinja2.TemplateNotFound as exc:
            raise TemplateError(str(self.directory / f"{template}.j2"), "文字模板不存在") from exc
        except jinja2.TemplateError as exc:
            raise TemplateError(str(self.directory / f"{template}.j2"), str(exc)) from exc


@cache
def wording(directory: Path) -> JinjaWording:
    """One wording per folder per process."""
    return JinjaWording(directory)
