"""An installed Banfa finds its default rules and its deployment (prefect.yaml) inside the package, not in the
current folder."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.support.paths import ROOT


@pytest.mark.slow
def test_the_wheel_ships_the_default_rules_and_finds_them_from_anywhere(tmp_path: Path) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--quiet",
            "--disable-pip-version-check",
            "-w",
            str(tmp_path / "dist"),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    wheel = next((tmp_path / "dist").glob("banfa-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {
        "engine/bundled_rules/departments.toml",
        "engine/bundled_rules/demo-contacts.toml",
        "engine/bundled_rules/notices/sfb2007-129.toml",
        "engine/adapters/sql/migrations/script.py.mako",
        "engine/bundled_deployment/prefect.yaml",
    } <= names
    sources = {
        str(p.relative_to(ROOT)) for folder in ("engine", "flows") for p in (ROOT / folder).rglob("*.py")
    }
    assert sources - names == set(), "every module of the checkout is in the wheel (pyproject.toml packages)"

    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    probe = (
        "from engine.config import Settings; from engine.bootstrap import load_rules; "
        "r = load_rules(Settings().resolved()); print(r.directory, len(r.registry), len(r.catalogue_paths())); "
        "from engine.entrypoints.prefect.local import project_file; print(project_file())"
    )
    run = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=tmp_path,
        env={"PYTHONPATH": str(site)},
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    directory, departments, catalogues, deployment = run.stdout.split()
    assert Path(directory) == site / "engine" / "bundled_rules"
    assert Path(deployment).read_bytes() == (ROOT / "prefect.yaml").read_bytes()  # `banfa up` deploys this
    assert int(departments) > 20 and int(catalogues) >= 1
