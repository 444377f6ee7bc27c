"""Benchmark rendering: the full 征求意见稿 of every seed duty, against naive python-docx in the same run.

Ours: compose the content, then render it with the cached template (styles, grid, footers) into GB/T 9704
WordprocessingML. Baseline: the same content written naively with python-docx: `Document()`, one
`add_paragraph` per line, `save`, with none of the format. `speedup` = naive time / our time; the goal is ≥ 3.
The last line is one JSON object.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import docx  # noqa: E402

from engine.bootstrap import load_rules, load_templates  # noqa: E402
from engine.config import Settings  # noqa: E402
from engine.domain.drafting.compose import compose  # noqa: E402
from engine.domain.drafting.content import Content  # noqa: E402
from engine.domain.drafting.versions import DocumentKind  # noqa: E402
from engine.services.documents import drafting_for  # noqa: E402

ROUNDS = 20


def naive(content: Content) -> bytes:
    document = docx.Document()
    for line in content.text.splitlines():
        document.add_paragraph(line)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def main() -> None:
    settings = Settings().resolved()
    rules, templates = load_rules(settings), load_templates(settings)
    today = dt.date(2007, 9, 28)
    contents = []
    for catalogue in rules.catalogues():
        for duty in catalogue.duties:
            drafting = drafting_for(
                catalogue, duty, registry=rules.registry, calendar=rules.calendar, today=today
            )
            contents.append(compose(DocumentKind.DRAFT, drafting, templates.wording))
    render = templates.renderer.render

    def ours() -> int:
        return sum(len(render(c)) for c in contents)

    def baseline() -> int:
        return sum(len(naive(c)) for c in contents)

    ours(), baseline()  # warm both
    timings = {}
    for name, fn in (("ours", ours), ("naive", baseline)):
        start = time.perf_counter()
        for _ in range(ROUNDS):
            size = fn()
        timings[name] = time.perf_counter() - start
        timings[name + "_bytes"] = size / len(contents)
    documents = len(contents) * ROUNDS
    compose_time = 0.0
    for catalogue in rules.catalogues():
        for duty in catalogue.duties:
            drafting = drafting_for(
                catalogue, duty, registry=rules.registry, calendar=rules.calendar, today=today
            )
            start = time.perf_counter()
            compose(DocumentKind.DRAFT, drafting, templates.wording)
            compose_time += time.perf_counter() - start
    figures = {
        "documents": documents,
        "ms_per_doc": round(timings["ours"] / documents * 1000, 3),
        "naive_ms_per_doc": round(timings["naive"] / documents * 1000, 3),
        "compose_ms_per_doc": round(compose_time / len(contents) * 1000, 3),
        "bytes_per_doc": round(timings["ours_bytes"]),
        "naive_bytes_per_doc": round(timings["naive_bytes"]),
        "docs_per_s": round(documents / timings["ours"], 1),
        "speedup": round(timings["naive"] / timings["ours"], 2),
    }
    print(f"ours {figures['ms_per_doc']} ms a document, naive python-docx {figures['naive_ms_per_doc']} ms")
    print(json.dumps(figures, ensure_ascii=False))


if __name__ == "__main__":
    main()
