"""Benchmark intake on the State Council corpus (tests/corpus/gov-cn-2018/) and on 1 MB of notice text, against a
naive keyword matcher, and print both scores (tests/support/gov_corpus.py).

Ours: `intake` with the State Council registry (rules/registries/guowuyuan-2018.toml). Baseline, in the same
process on the same texts: split each text into sentences on 。； (and line ends) and report a duty wherever a
sentence holds a drafting verb (制定/制订/修订/出台) and a rule word (办法/细则/规定/措施); its "lead" is the
sentence up to the verb, which the scorer matches generously. `speedup` = baseline time / our time over the
corpus (far below 1: intake reads structure, departments and deadlines that the scan does not).

Per document, the time is the median of REPEAT parses; `p50_ms` is the median of those over the corpus, and
`kb_per_s` the corpus' UTF-8 size (KB = 1024 bytes) over their sum. The 1 MB notice (2**20 bytes of UTF-8) is the
corpus' numbered lines under one title, repeated until large enough, sections renumbered 一、二、… and items
（一）（二）… within each, so that it is one notice with unique numbering; the goal is that it parses in under a
second (`mb_parse_s`, the median of MB_REPEAT parses of that notice, a little over 1 MB; `mb_goal_met`). The last line is one JSON object.
"""

from __future__ import annotations

import json
import re
import statistics
import sys
import time
import tomllib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import cast

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from engine.adapters.rules import read_notice  # noqa: E402
from engine.domain.departments import Registry  # noqa: E402
from engine.domain.intake.duties import Intake  # noqa: E402
from engine.domain.textform import cn_numeral  # noqa: E402
from engine.domain.workdays import WorkCalendar  # noqa: E402
from engine.services.intake import intake  # noqa: E402
from tests.support.gov_corpus import CORPUS, Score, corpus_names, score_document  # noqa: E402

REPEAT = 20
MB_REPEAT = 3
MB = 2**20
MB_GOAL_S = 1.0

SENTENCE = re.compile(r"[。；\n]")
VERB = re.compile(r"制定|制订|修订|出台")
RULE_WORD = re.compile(r"办法|细则|规定|措施")
HEADING = re.compile(r"^[一二三四五六七八九十]+、(.*)")
ITEM = re.compile(r"^(?:（[一二三四五六七八九十]+）|\d+[.．])(.*)")


@dataclass(frozen=True)
class NaiveDuty:
    """A baseline hit, with the attributes the scorer reads of a DutySpec."""

    location: str
    lead_as_written: str
    document: str
    lead: None = None
    deadline: None = None
    generic: bool = False


@dataclass(frozen=True)
class NaiveResult:
    drafting: tuple[NaiveDuty, ...]


def naive(text: str) -> NaiveResult:
    hits = []
    for n, sentence in enumerate(SENTENCE.split(text), 1):
        verb = VERB.search(sentence)
        if verb and RULE_WORD.search(sentence):
            hits.append(NaiveDuty(f"第{n}句", sentence[: verb.start()].strip(), sentence[verb.start() :]))
    return NaiveResult(tuple(hits))


def sections(text: str) -> Iterator[tuple[str, list[str]]]:
    """A text's numbered lines: each 一、 heading with the （一） and 1. items under it (other lines dropped)."""
    heading: str | None = None
    items: list[str] = []
    for line in text.splitlines():
        line = line.strip()
        if m := HEADING.match(line):
            if heading is not None and items:
                yield heading, items
            heading, items = m.group(1), []
        elif heading is not None and (m := ITEM.match(line)):
            items.append(m.group(1))
    if heading is not None and items:
        yield heading, items


def megabyte_notice(texts: list[str]) -> str:
    head = [
        "国务院关于印发若干意见汇编的通知",
        "国发〔2030〕1号",
        "各省、自治区、直辖市人民政府，国务院各部委、各直属机构：",
        "现将有关意见汇编印发给你们，请认真贯彻执行。",
    ]
    tail = ["国务院", "2030年1月2日", "（此件公开发布）"]
    pool = [s for text in texts for s in sections(text)]
    lines, size, n = list(head), len("\n".join(head + tail).encode()), 0
    while size < MB:
        heading, items = pool[n % len(pool)]
        n += 1
        if n > 999:
            raise SystemExit("the corpus' numbered lines are too short to make 1 MB in 999 sections")
        block = [
            f"{cn_numeral(n)}、{heading}",
            *(f"（{cn_numeral(i)}）{item}" for i, item in enumerate(items, 1)),
        ]
        lines += block
        size += len("\n".join(block).encode()) + 1
    return "\n".join(lines + tail)


def median_s(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    with (ROOT / "rules" / "registries" / "guowuyuan-2018.toml").open("rb") as fh:
        registry = Registry.from_data(tomllib.load(fh))
    calendar = WorkCalendar()
    names = corpus_names()
    paths = {name: CORPUS / f"{name}.txt" for name in names}
    texts = {name: read_notice(path) for name, path in paths.items()}

    def ours(name: str) -> Intake:
        return intake(texts[name], registry=registry, calendar=calendar, source=str(paths[name]))

    def full_name(key: str) -> str:
        return registry.get(key).name

    results = {name: ours(name) for name in names}  # also warms the regex caches and the calendar
    score = Score([score_document(name, results[name], full_name) for name in names])
    base_score = Score([score_document(name, cast(Intake, naive(texts[name])), full_name) for name in names])

    ours_s = {name: median_s(partial(ours, name), REPEAT) for name in names}
    base_s = {name: median_s(partial(naive, texts[name]), REPEAT) for name in names}
    corpus_bytes = sum(len(t.encode()) for t in texts.values())

    big = megabyte_notice(list(texts.values()))
    big_result = intake(big, registry=registry, calendar=calendar, source="<1 MB>")
    mb_s = median_s(lambda: intake(big, registry=registry, calendar=calendar, source="<1 MB>"), MB_REPEAT)
    mb_base_s = median_s(lambda: naive(big), MB_REPEAT)

    base_found, keyed = base_score.deadlines
    figures = {
        "documents": len(names),
        "repeat": REPEAT,
        "p50_ms": round(statistics.median(ours_s.values()) * 1000, 3),
        "max_ms": round(max(ours_s.values()) * 1000, 3),
        "baseline_p50_ms": round(statistics.median(base_s.values()) * 1000, 4),
        "kb_per_s": round(corpus_bytes / 1024 / sum(ours_s.values()), 1),
        "baseline_kb_per_s": round(corpus_bytes / 1024 / sum(base_s.values()), 1),
        "duties_per_s": round(sum(len(r.drafting) for r in results.values()) / sum(ours_s.values()), 1),
        "mb_bytes": len(big.encode()),
        "mb_items": len(big_result.notice.items),
        "mb_drafting_duties": len(big_result.drafting),
        "mb_parse_s": round(mb_s, 3),
        "mb_baseline_s": round(mb_base_s, 4),
        "mb_goal_met": mb_s < MB_GOAL_S,
        **score.figures(),
        "baseline_f1": round(base_score.f1, 3),
        "baseline_precision": round(base_score.precision, 3),
        "baseline_recall": round(base_score.recall, 3),
        "baseline_strays": base_score.strays,
        "baseline_strays_on_negatives": base_score.strays_on_negatives,
        "baseline_deadlines_found": base_found,
        "speedup": round(sum(base_s.values()) / sum(ours_s.values()), 4),
    }
    print(score.report())
    print(
        f"baseline (keyword matcher): f1 {figures['baseline_f1']}, precision {figures['baseline_precision']}, "
        f"recall {figures['baseline_recall']}, strays {base_score.strays} "
        f"({base_score.strays_on_negatives} on documents without duties), deadlines {base_found}/{keyed}"
    )
    print(
        f"corpus: p50 {figures['p50_ms']} ms a document (baseline {figures['baseline_p50_ms']} ms), "
        f"{figures['kb_per_s']} KB/s (baseline {figures['baseline_kb_per_s']} KB/s), "
        f"ratio baseline/ours {figures['speedup']}"
    )
    print(
        f"1 MB notice ({len(big_result.notice.sections)} sections, {figures['mb_items']} items): "
        f"{figures['mb_parse_s']} s (goal < {MB_GOAL_S} s: {'met' if figures['mb_goal_met'] else 'NOT met'}; "
        f"baseline {figures['mb_baseline_s']} s)"
    )
    print(json.dumps(figures, ensure_ascii=False))


if __name__ == "__main__":
    main()
