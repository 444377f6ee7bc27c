"""Benchmark the start-up of the verbs people run most: `banfa status` and `banfa tasks`, each a fresh process,
against `python -c "import prefect"` measured in the same run (goal: at most half of it).

Setup (not timed): a fresh data directory with the seed notice ingested (22 duties) and an officer of the
市财政局. Then rounds: each round runs the three commands once, one after another, so that a busy machine slows
all three alike; after `--warmup` rounds (which also write the bytecode caches, as an installed package has
them: PYTHONDONTWRITEBYTECODE is unset for the children), `--runs` rounds are timed, wall clock from spawn to
exit. `status_ratio` = median `banfa status` / median `import prefect`; likewise `tasks_ratio`.

`--checkout DIR` times the `engine` package of another checkout (`python -m engine` run from DIR, which puts
DIR first on sys.path), e.g. a `git worktree` of an older commit, to measure a change's effect; it needs no
install. The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOAL = 0.5
OFFICER = "zhang"


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    return env | {"BANFA_USER": "", "PYTHONUTF8": "1"}


def _banfa(checkout: Path | None) -> list[str]:
    script = Path(sys.executable).parent / "banfa"
    return [sys.executable, "-m", "engine"] if checkout or not script.exists() else [str(script)]


def _setup(data: Path, banfa: list[str], cwd: Path) -> None:
    steps = [
        ["user", "add", "admin", "--name", "管理员", "--dept", "maogong", "--role", "admin"],
        ["user", "add", OFFICER, "--name", "张三", "--dept", "caizheng", "--role", "officer"],
        ["ingest", "--as", "admin", "--now", "2007-09-11T09:00"],
    ]
    for step in steps:
        subprocess.run(
            [*banfa, "--data-dir", str(data), *step], cwd=cwd, env=_env(), check=True, capture_output=True
        )


def _once(command: list[str], cwd: Path) -> float:
    started = time.perf_counter()
    subprocess.run(
        command, cwd=cwd, env=_env(), check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--checkout", type=Path, help="time the engine package of this folder instead")
    args = parser.parse_args()
    cwd = (args.checkout or ROOT).resolve()
    banfa = _banfa(args.checkout)
    with tempfile.TemporaryDirectory(prefix="banfa-startup-") as tmp:
        data = Path(tmp) / "var"
        _setup(data, banfa, cwd)
        commands = {
            "status": [*banfa, "--data-dir", str(data), "status", "--today", "2007-10-15"],
            "tasks": [*banfa, "--data-dir", str(data), "tasks", "--as", OFFICER, "--today", "2007-10-15"],
            "prefect": [sys.executable, "-c", "import prefect"],
        }
        if subprocess.run([*banfa, "tasks", "--help"], cwd=cwd, env=_env(), capture_output=True).returncode:
            del commands["tasks"]  # a checkout from before the verb
            print("this checkout has no `banfa tasks`: only status is timed")
        times: dict[str, list[float]] = {name: [] for name in commands}
        for round_ in range(args.warmup + args.runs):
            for name, command in commands.items():
                elapsed = _once(command, cwd)
                if round_ >= args.warmup:
                    times[name].append(elapsed)
    median = {name: statistics.median(values) * 1000 for name, values in times.items()}
    figures: dict[str, object] = {f"{name}_ms": round(ms, 1) for name, ms in median.items()}
    for verb in [v for v in ("status", "tasks") if v in median]:
        ratio = median[verb] / median["prefect"]
        figures[f"{verb}_ratio"] = round(ratio, 3)
        spread = f"{min(times[verb]) * 1000:.0f}–{max(times[verb]) * 1000:.0f}"
        print(
            f"banfa {verb}: median {median[verb]:.0f} ms ({spread} ms); / import prefect {median['prefect']:.0f} ms"
            f" = {ratio:.3f}; goal <= {GOAL}: {'met' if ratio <= GOAL else 'NOT MET'}"
        )
    figures |= {"runs": args.runs, "checkout": str(args.checkout) if args.checkout else None}
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
