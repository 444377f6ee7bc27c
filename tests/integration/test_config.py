"""Settings: read from BANFA_* variables, with every path made absolute at start."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.config import Settings, bundled_rules_dir
from tests.support.paths import RULES


def test_a_blank_environment_variable_means_the_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("BANFA_DATA_DIR", "")
    assert Settings().resolved().data_dir == tmp_path.resolve() / "var"
    monkeypatch.setenv("BANFA_DATA_DIR", "somewhere")
    assert Settings().resolved().data_dir == tmp_path.resolve() / "somewhere"


def test_the_default_rules_are_the_checkouts_own_in_an_editable_install() -> None:
    assert bundled_rules_dir() == RULES
    assert Settings().resolved().rules_dir == RULES
