"""Run `banfa`: load the group of verbs the command line names onto the app, then hand it to Typer.

A verb runs with only its own module imported, so that `banfa status` does not pay for Prefect, python-docx or
the scheduler. Help, an unknown verb or none load every group, in the order `banfa --help` lists them; a verb
missing from VERBS therefore still works, only slower.
"""

from __future__ import annotations

import importlib
import io
import sys
from collections.abc import Sequence

from engine.entrypoints.cli.app import app

# Each module registers its verbs on `app`; this order is the order of `banfa --help`.
GROUPS: dict[str, tuple[str, ...]] = {
    "intake": ("info", "intake", "catalogue"),
    "documents": ("draft", "compare"),
    "reminders": ("outbox", "scheduler", "reminders"),
    "processes": ("up", "serve", "reconcile"),
    "views": ("status", "show", "demo"),
    "board": ("tasks", "board"),
    "workflow": (
        "ingest",
        "start",
        "consult",
        "close",
        "submit",
        "tick",
        "upload",
        "opinion",
        "decide",
        "review",
        "deliberate",
        "publish",
        "forward",
        "file",
        "extend",
        "reassign",
        "withdraw",
    ),
    "exports": ("export", "bundle", "ledger"),
    "admin": ("init", "db", "user"),
    "backups": ("backup", "restore"),
}
VERBS = {verb: group for group, verbs in GROUPS.items() for verb in verbs}
# The app's own options that take a value (engine.entrypoints.cli.app.main_options).
VALUED_OPTIONS = frozenset({"--data-dir", "--rules-dir"})


def verb_of(args: Sequence[str]) -> str | None:
    """The verb of a command line: its first word that is neither an option of the app nor an option's value;
    None when there is none or the app's own help comes first."""
    words = iter(args)
    for word in words:
        if word == "--help":
            return None
        if word in VALUED_OPTIONS:
            next(words, None)
        elif not word.startswith("-"):
            return word
    return None


def load(args: Sequence[str]) -> None:
    """Import the module that registers the verb; every module for help, an unknown verb or none."""
    group = VERBS.get(verb_of(args) or "")
    for name in [group] if group else GROUPS:
        importlib.import_module(f"engine.entrypoints.cli.{name}")


def main(args: Sequence[str] | None = None) -> None:
    """Run the CLI. Chinese text goes out as UTF-8 whatever the locale, so no message can fail to print."""
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, io.TextIOWrapper) and stream.encoding.lower().replace("-", "") != "utf8":
            stream.reconfigure(encoding="utf-8")
    load(sys.argv[1:] if args is None else args)
    if args is None:
        app()
    else:
        app(list(args))
