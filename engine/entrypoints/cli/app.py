"""The one Typer app of `banfa`, and the callback that reads the settings once per run.

Verbs register on `app` from their own modules (engine.entrypoints.cli.*), which import this one; this module
imports none of them, and `engine.entrypoints.cli.main` loads them all.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from engine.config import Settings
from engine.entrypoints.cli import terminal

app = typer.Typer(
    help="办法 Banfa：部门分工通知的实施办法起草流程引擎。",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


@app.callback()
def main_options(
    data_dir: Annotated[
        Path | None,
        typer.Option("--data-dir", help="数据目录（数据库、文稿、发件箱），默认 ./var 或 BANFA_DATA_DIR"),
    ] = None,
    rules_dir: Annotated[
        Path | None,
        typer.Option("--rules-dir", help="规则目录（部门名录、任务清单、节假日），默认随程序附带"),
    ] = None,
) -> None:
    """Read settings once, at start, and make every path absolute."""
    overrides = {k: v for k, v in {"data_dir": data_dir, "rules_dir": rules_dir}.items() if v is not None}
    terminal.use_settings(Settings(**overrides).resolved())  # type: ignore[arg-type]
