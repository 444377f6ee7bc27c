"""The error tree: the drawing in engine/errors.py and the classes agree, and every leaf sits under one group.

The drawing is what a reader of the module sees first, and the groups are what the portal maps to HTTP
statuses with one table: a class moved in code but not in the drawing (or the other way round) would mislead
both, so the test reads the drawing as data.
"""

from __future__ import annotations

import builtins
import re

import pytest

from engine import errors
from engine.errors import EngineError

GROUPS = {"NotFound", "Forbidden", "Conflict", "Invalid", "ConfigurationError", "Unavailable"}
LINE = re.compile(r"^(?P<lead>[ │├└─]*)(?P<name>[A-Z]\w+)(?: \((?P<builtin>\w+)\))?")


def drawing() -> dict[str, tuple[str | None, str | None]]:
    """Each class drawn in the module docstring: name → (parent, builtin named beside it)."""
    lines = [
        line[4:] for line in (errors.__doc__ or "").splitlines() if line.startswith("    ") and line.strip()
    ]
    drawn: dict[str, tuple[str | None, str | None]] = {}
    stack: list[tuple[int, str]] = []
    for line in lines:
        match = LINE.match(line)
        assert match, f"a line of the drawing that names no class: {line!r}"
        depth = len(match["lead"])
        while stack and stack[-1][0] >= depth:
            stack.pop()
        drawn[match["name"]] = (stack[-1][1] if stack else None, match["builtin"])
        stack.append((depth, match["name"]))
    return drawn


def classes() -> dict[str, type[EngineError]]:
    found = {name: value for name, value in vars(errors).items() if isinstance(value, type)}
    return {name: cls for name, cls in found.items() if issubclass(cls, EngineError)}


def test_the_drawing_names_every_error_class_and_no_other() -> None:
    assert set(drawing()) == set(classes())


@pytest.mark.parametrize("name", sorted(classes()))
def test_each_class_has_the_parent_and_builtin_the_drawing_gives_it(name: str) -> None:
    parent, builtin = drawing()[name]
    cls = classes()[name]
    engine_bases = [b.__name__ for b in cls.__bases__ if issubclass(b, EngineError)]
    assert engine_bases == ([parent] if parent else []), (
        f"{name} derives from {engine_bases}, drawn under {parent}"
    )
    if builtin is not None:
        assert issubclass(cls, getattr(builtins, builtin)), f"{name} is drawn as a {builtin}"


def test_every_leaf_sits_under_exactly_one_group() -> None:
    leaves = [cls for cls in classes().values() if not cls.__subclasses__()]
    for cls in leaves:
        groups = {c.__name__ for c in cls.__mro__} & GROUPS
        assert len(groups) == 1, f"{cls.__name__} sits under {sorted(groups) or 'no group'}"


def test_the_groups_are_the_ones_the_portal_maps() -> None:
    assert {name for name, (parent, _) in drawing().items() if parent == "EngineError"} == GROUPS


def test_a_leaf_keeps_the_builtin_a_caller_outside_banfa_would_catch() -> None:
    assert issubclass(errors.DutyNotFound, LookupError)
    assert issubclass(errors.NotPermitted, PermissionError)
    assert issubclass(errors.IllegalTransition, ValueError)
    assert issubclass(errors.ConcurrencyConflict, RuntimeError)
    assert issubclass(errors.CatalogueExists, FileExistsError)
    assert issubclass(errors.DemoStalled, TimeoutError)
    assert issubclass(errors.MailUncertain, OSError)
