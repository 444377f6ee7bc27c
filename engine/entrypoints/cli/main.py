"""Run `banfa`: load every group of verbs onto the app, then hand the command line to Typer.

The modules are imported for what they register on `app`; their order is the order of `banfa --help`.
"""

from __future__ import annotations

import io
import sys

from engine.entrypoints.cli.app import app

# Each module registers its verbs on `app`, in the order `banfa --help` lists them.
# isort: off
from engine.entrypoints.cli import intake  # noqa: F401
from engine.entrypoints.cli import documents  # noqa: F401
from engine.entrypoints.cli import reminders  # noqa: F401
from engine.entrypoints.cli import processes  # noqa: F401
from engine.entrypoints.cli import views  # noqa: F401
from engine.entrypoints.cli import workflow  # noqa: F401
from engine.entrypoints.cli import exports  # noqa: F401
from engine.entrypoints.cli import admin  # noqa: F401
# isort: on


def main() -> None:
    """Run the CLI. Chinese text goes out as UTF-8 whatever the locale, so no message can fail to print."""
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, io.TextIOWrapper) and stream.encoding.lower().replace("-", "") != "utf8":
            stream.reconfigure(encoding="utf-8")
    app()
