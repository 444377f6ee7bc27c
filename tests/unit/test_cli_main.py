"""`banfa` loads only the group of verbs its command line names: the table of groups must match what each
module registers, and the verb must be found behind the app's own options."""

from __future__ import annotations

import importlib

import pytest
import typer.main

from engine.entrypoints.cli import main
from engine.entrypoints.cli.app import app


def test_every_verb_is_listed_under_the_module_that_registers_it() -> None:
    for group in main.GROUPS:
        importlib.import_module(f"engine.entrypoints.cli.{group}")
    registered = {
        (c.name or (c.callback.__name__ if c.callback else "")).replace("_", "-"): (
            c.callback.__module__ if c.callback else ""
        )
        for c in app.registered_commands
    }
    for sub in app.registered_groups:
        [first, *_] = sub.typer_instance.registered_commands if sub.typer_instance else [None]
        assert first is not None and first.callback is not None and sub.name
        registered[sub.name] = first.callback.__module__
    listed = {verb: f"engine.entrypoints.cli.{group}" for verb, group in main.VERBS.items()}
    assert listed == registered


@pytest.mark.parametrize(
    ("args", "verb"),
    [
        (["status"], "status"),
        (["--data-dir", "var", "tasks", "--as", "zhang"], "tasks"),
        (["--data-dir=var", "--rules-dir", "rules", "board", "sfb2007-129"], "board"),
        (["--help"], None),
        (["--data-dir", "var", "--help", "status"], None),
        (["status", "--help"], "status"),
        ([], None),
    ],
)
def test_the_verb_is_the_first_word_that_is_not_an_option_of_the_app(
    args: list[str], verb: str | None
) -> None:
    assert main.verb_of(args) == verb


def test_the_options_that_take_a_value_are_the_apps_own() -> None:
    command = typer.main.get_command(app)
    valued = {opt for p in command.params if not getattr(p, "is_flag", False) for opt in p.opts}
    assert valued == set(main.VALUED_OPTIONS)
