"""The pure core stays pure: no clock, no files, no frameworks (DESIGN.md, house style 1)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ENGINE = Path(__file__).resolve().parents[2] / "engine"
PURE = [
    *(
        "decoding",
        "ids",
        "notice",
        "duties",
        "departments",
        "workdays",
        "deadlines",
        "normative",
        "assignment",
    ),
    *("textform", "errors", "drafting/compose", "drafting/markup", "drafting/content", "drafting/history"),
    *("drafting/text", "drafting/versions", "drafting/numbering"),
]
CLOCK = {"now", "today", "utcnow", "time", "monotonic", "perf_counter"}
FILES = {"open", "read_text", "read_bytes", "write_text", "write_bytes", "iterdir", "glob"}


def _calls(module: str) -> set[str]:
    tree = ast.parse((ENGINE / f"{module}.py").read_text("utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            names.add(func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", ""))
    return names


@pytest.mark.parametrize("module", PURE)
def test_the_pure_core_never_reads_the_clock_or_a_file(module: str) -> None:
    calls = _calls(module)
    assert not calls & CLOCK, f"engine/{module}.py reads the clock"
    assert not calls & FILES, f"engine/{module}.py touches a file"
