"""Score intake against the State Council corpus (tests/corpus/gov-cn-2018/, keys by hand; README there).

The scoring is the one issue 14 sets:
- a key duty that is neither generic nor borderline is *found* when some reported drafting duty's lead, as
  written or as the registry resolves it, contains the key's lead or is contained in it (after dropping a
  leading 国家 / 市);
- a reported drafting duty whose lead matches no key duty is a *stray*; generic and borderline key duties
  count neither way, and neither do the generic duties intake reports (nobody in a registry owns them);
- a key deadline is *found* when a reported duty with that lead carries it (a generic key duty's deadline by
  a reported generic duty).

Kept apart from the tests so that `bench/intake.py` prints the same score and a person can run it on a new
document.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.domain.intake.duties import Intake
from engine.domain.intake.specs import DutySpec

CORPUS = Path(__file__).resolve().parent.parent / "corpus" / "gov-cn-2018"


@dataclass
class DocumentScore:
    name: str
    found: list[str] = field(default_factory=list)
    missed: list[str] = field(default_factory=list)
    strays: list[str] = field(default_factory=list)
    matched_reports: int = 0
    deadlines_found: list[str] = field(default_factory=list)
    deadlines_missed: list[str] = field(default_factory=list)
    negative: bool = False


@dataclass
class Score:
    documents: list[DocumentScore]

    @property
    def found(self) -> int:
        return sum(len(d.found) for d in self.documents)

    @property
    def keyed(self) -> int:
        return sum(len(d.found) + len(d.missed) for d in self.documents)

    @property
    def strays(self) -> int:
        return sum(len(d.strays) for d in self.documents)

    @property
    def recall(self) -> float:
        return self.found / self.keyed if self.keyed else 1.0

    @property
    def precision(self) -> float:
        matched = sum(d.matched_reports for d in self.documents)
        return matched / (matched + self.strays) if matched + self.strays else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def strays_on_negatives(self) -> int:
        return sum(len(d.strays) for d in self.documents if d.negative)

    @property
    def deadlines(self) -> tuple[int, int]:
        found = sum(len(d.deadlines_found) for d in self.documents)
        return found, found + sum(len(d.deadlines_missed) for d in self.documents)

    def figures(self) -> dict[str, Any]:
        found, total = self.deadlines
        return {
            "f1": round(self.f1, 3),
            "precision": round(self.precision, 3),
            "recall": round(self.recall, 3),
            "found": self.found,
            "keyed": self.keyed,
            "strays": self.strays,
            "strays_on_negatives": self.strays_on_negatives,
            "deadlines_found": found,
            "deadlines_keyed": total,
        }

    def report(self) -> str:
        lines = []
        for d in self.documents:
            lines.append(f"{d.name}: found {d.found} missed {d.missed} strays {d.strays}")
            if d.deadlines_missed:
                lines.append(f"  deadlines missed {d.deadlines_missed}")
        lines.append(json.dumps(self.figures(), ensure_ascii=False))
        return "\n".join(lines)


def corpus_names() -> list[str]:
    return sorted(p.name.removesuffix(".key.json") for p in CORPUS.glob("*.key.json"))


def load_key(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((CORPUS / f"{name}.key.json").read_text("utf-8"))
    return data


def _core(name: str) -> str:
    return re.sub(r"^(?:国家|市)", "", name)


def _matches(reported: str | None, wanted: str) -> bool:
    if not reported:
        return False
    a, b = _core(reported), _core(wanted)
    return bool(a and b) and (a in b or b in a)


def score_document(name: str, result: Intake, full_name: Callable[[str], str]) -> DocumentScore:
    """Score one document; `full_name` gives a registry key's full name."""
    key = load_key(name)
    score = DocumentScore(name, negative=not key["duties"])
    reported = [d for d in result.drafting if not d.generic]

    def leads(duty: DutySpec) -> list[str]:
        return [n for n in (duty.lead_as_written, full_name(duty.lead) if duty.lead else None) if n]

    def matches(duty: DutySpec, want: dict[str, Any]) -> bool:
        return any(_matches(n, want["lead"]) for n in leads(duty))

    for want in key["duties"]:
        if want.get("generic") or want.get("borderline"):
            continue
        label = f"{want['lead']} {want['document']}"
        (score.found if any(matches(d, want) for d in reported) else score.missed).append(label)
    for duty in reported:
        if any(matches(duty, want) for want in key["duties"] if not want.get("generic")):
            score.matched_reports += 1
        else:
            score.strays.append(f"{duty.location} {duty.lead_as_written} {duty.document}")
    for want in key["duties"]:
        if not want.get("deadline"):
            continue
        day = dt.date.fromisoformat(want["deadline"])
        if want.get("generic"):
            carriers = [d for d in result.drafting if d.generic]
        else:
            carriers = [d for d in reported if matches(d, want)]
        label = f"{want['lead']} {want['deadline']}"
        (
            score.deadlines_found if any(d.deadline == day for d in carriers) else score.deadlines_missed
        ).append(label)
    return score
