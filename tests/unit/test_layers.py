"""The pure core stays pure: no clock, no files, no frameworks (DESIGN.md, house style 1).

Import-linter (pyproject.toml) forbids the frameworks and the other layers to `engine.domain` as a whole; this
test reads every module of that package for what import-linter cannot see: reading the clock or a file.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

DOMAIN = Path(__file__).resolve().parents[2] / "engine" / "domain"
PURE = sorted(str(p.relative_to(DOMAIN)) for p in DOMAIN.rglob("*.py"))
CLOCK = {"now", "today", "utcnow"}  # and the `time` module, which OUTSIDE forbids
# The standard library's ways to reach files, processes, the network and the clock. `io` is allowed: BytesIO
# reads an uploaded .docx from memory.
OUTSIDE = {"os", "pathlib", "shutil", "tempfile", "glob", "time", "socket", "subprocess", "urllib", "sqlite3"}


def _tree(module: str) -> ast.Module:
    return ast.parse((DOMAIN / module).read_text("utf-8"))


def _calls(module: str) -> set[str]:
    names = set()
    for node in ast.walk(_tree(module)):
        if isinstance(node, ast.Call):
            func = node.func
            names.add(func.attr if isinstance(func, ast.Attribute) else f"{getattr(func, 'id', '')}()")
    return names


def _imports(module: str) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(_tree(module)):
        if isinstance(node, ast.Import):
            found |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module.split(".")[0])
    return found


def test_the_domain_is_walked_whole() -> None:
    """The list comes from the folder, so a new module is checked without being named here."""
    assert {"workflow/model.py", "reminders/planner.py", "ports/logs.py", "drafting/reading.py"} <= set(PURE)


@pytest.mark.parametrize("module", PURE)
def test_the_pure_core_never_reads_the_clock_or_a_file(module: str) -> None:
    calls = _calls(module)
    assert not calls & CLOCK, f"engine/domain/{module} reads the clock"
    assert "open()" not in calls, f"engine/domain/{module} opens a file"
    assert not _imports(module) & OUTSIDE, f"engine/domain/{module} imports a way out of the pure core"
