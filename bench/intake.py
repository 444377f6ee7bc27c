"""Benchmark intake: the seed 1,000 times, then a synthetic notice of 1,000 items, against a plain regex scan.

The baseline is the crudest possible intake: one regular expression over the same text, finding a drafting verb
followed by a normative object, with no structure, departments or deadlines. It runs in the same process on the
same texts, so the ratio survives a noisy machine. `speedup` = baseline time / our time (below 1 means intake
costs more than the bare scan, which it must: it does far more). The last line is one JSON object.
"""

from __future__ import annotations

import json
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from engine.adapters.rules import load_calendar, load_registry  # noqa: E402
from engine.domain.textform import cn_numeral  # noqa: E402
from engine.services.intake import intake  # noqa: E402

BASELINE = re.compile(r"(?:制定|制订|修订|提出|出台|起草)[^。；，]*?(?:办法|规定|措施|细则|法规|条例)")
SEED_RUNS = 1000
SYNTHETIC_ITEMS = 1000


def synthetic_notice(items: int, departments: list[str]) -> str:
    """A heading-style notice with `items` items spread over sections led by registry departments."""
    lines = [
        "深圳市人民政府办公厅关于某项工作部门分工的通知",
        "深府办〔2030〕1号",
        "（2030年3月2日）",
        "为做好某项工作，现就分工通知如下：",
    ]
    per_section = 10
    for s in range(items // per_section):
        lines.append(f"{cn_numeral(s + 1)}、{departments[s % len(departments)]}")
        for i in range(per_section):
            kind = i % 4
            body = (
                f"会同{departments[(s + 1) % len(departments)]}等部门研究制定第{s}类事项第{i}项管理办法。"
                if kind == 0
                else f"负责第{s}类事项第{i}项的统计分析工作。"
                if kind == 1
                else f"根据《若干规定》第{cn_numeral(i + 1)}条，制定第{s}类事项的具体措施，2030年6月底前完成。"
                if kind == 2
                else f"协助有关部门做好第{s}类事项第{i}项的宣传工作。"
            )
            lines.append(f"（{cn_numeral(i + 1)}）{body}")
    lines.append("请各有关部门在今年年内完成本通知中有关办法的制定工作。")
    return "\n".join(lines)


def timed(fn, repeat: int) -> float:  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    for _ in range(repeat):
        fn()
    return time.perf_counter() - start


def main() -> None:
    registry, calendar = load_registry(ROOT / "rules"), load_calendar(ROOT / "rules")
    seed = (ROOT / "documents" / "notices" / "shenfuban-2007-129.txt").read_text("utf-8")
    names = [d.display for d in registry if d.short][:30]
    big = synthetic_notice(SYNTHETIC_ITEMS, names)

    intake(seed, registry=registry, calendar=calendar)  # warm the regex caches and the calendar
    seed_ours = timed(lambda: intake(seed, registry=registry, calendar=calendar), SEED_RUNS)
    seed_base = timed(lambda: BASELINE.findall(seed), SEED_RUNS)
    seed_duties = len(intake(seed, registry=registry, calendar=calendar).drafting)

    big_result = intake(big, registry=registry, calendar=calendar)
    big_ours = timed(lambda: intake(big, registry=registry, calendar=calendar), 3) / 3
    big_base = timed(lambda: BASELINE.findall(big), 3) / 3

    ours, base = seed_ours + big_ours, seed_base + big_base
    found = seed_duties * SEED_RUNS + len(big_result.drafting)
    figures = {
        "seed_runs": SEED_RUNS,
        "seed_ms_per_notice": round(seed_ours / SEED_RUNS * 1000, 3),
        "seed_baseline_ms": round(seed_base / SEED_RUNS * 1000, 4),
        "seed_drafting_duties": seed_duties,
        "synthetic_items": SYNTHETIC_ITEMS,
        "synthetic_s": round(big_ours, 3),
        "synthetic_baseline_s": round(big_base, 4),
        "synthetic_drafting_duties": len(big_result.drafting),
        "synthetic_baseline_matches": len(BASELINE.findall(big)),
        "duties_per_s": round(found / ours, 1),
        "speedup": round(base / ours, 4),
    }
    print(f"seed: {figures['seed_ms_per_notice']} ms a notice (baseline {figures['seed_baseline_ms']} ms)")
    print(
        f"synthetic {SYNTHETIC_ITEMS} items: {figures['synthetic_s']} s (baseline {figures['synthetic_baseline_s']} s)"
    )
    print(json.dumps(figures, ensure_ascii=False))


if __name__ == "__main__":
    main()
