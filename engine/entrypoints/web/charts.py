"""The notice page's two charts as plotly.js figures (plain JSON; plotly.js, from the plotly wheel, draws them
in the browser): a Gantt-style chart of each duty's stages, planned as bars and actually ended as marks, and
the burndown of open duties against the deadline. Every label is Chinese."""

from __future__ import annotations

import datetime as dt
import json
from importlib.resources import files
from pathlib import Path
from typing import Any

from engine.domain.workflow.milestones import ORDER
from engine.services.board import Board, BoardRow, Burndown

COLOURS = ("#8c564b", "#1f77b4", "#2ca02c", "#9467bd", "#ff7f0e", "#d62728")
MS_PER_DAY = 86_400_000
FONT = {"family": "Noto Sans CJK SC, Microsoft YaHei, PingFang SC, sans-serif", "size": 12}


def plotly_js() -> Path:
    """plotly.min.js as the plotly wheel ships it: served by Banfa itself, never from a CDN."""
    return Path(str(files("plotly") / "package_data" / "plotly.min.js"))


def _label(row: BoardRow) -> str:
    title = row.title if len(row.title) <= 14 else row.title[:13] + "…"
    return f"{row.location} {title}"


def gantt(board: Board, rows: list[BoardRow], start: dt.date) -> dict[str, Any]:
    """Per duty, one bar per stage from the end of the one before (the notice's date for the first) to its planned
    end, and a mark on the day each stage actually ended; lines for today and the deadline."""
    labels = [_label(r) for r in rows]
    traces: list[dict[str, Any]] = []
    for stage, colour in zip(ORDER, COLOURS, strict=True):
        bases, lengths, names, texts = [], [], [], []
        for row, name in zip(rows, labels, strict=True):
            end = row.planned.get(stage)
            if end is None:
                continue
            before = [row.planned[s] for s in ORDER[: ORDER.index(stage)] if s in row.planned]
            begin = max(before) if before else start
            bases.append(begin.isoformat())
            lengths.append(max((end - begin).days, 1) * MS_PER_DAY)
            names.append(name)
            texts.append(f"{row.duty_id}<br>计划{stage.value}：{begin} 至 {end}")
        traces.append(
            {
                "type": "bar",
                "orientation": "h",
                "name": f"计划：{stage.value}",
                "y": names,
                "x": lengths,
                "base": bases,
                "marker": {"color": colour, "opacity": 0.55},
                "hovertext": texts,
                "hoverinfo": "text",
            }
        )
    ends = [
        (name, stage, day)
        for row, name in zip(rows, labels, strict=True)
        for stage, day in row.actual.items()
    ]
    traces.append(
        {
            "type": "scatter",
            "mode": "markers",
            "name": "实际完成",
            "y": [name for name, _, _ in ends],
            "x": [day.isoformat() for _, _, day in ends],
            "marker": {"symbol": "diamond", "size": 9, "color": "#111"},
            "hovertext": [f"实际完成{stage.value}：{day}" for _, stage, day in ends],
            "hoverinfo": "text",
        }
    )
    # The axis runs from the notice's date to a week after the last day drawn; today is marked when it falls
    # inside (a replay of 2007 seen in 2026 would otherwise squeeze nineteen years into the page).
    drawn = [d for r in rows for d in (*r.planned.values(), *r.actual.values())]
    end = max([*drawn, *([board.deadline] if board.deadline else []), start]) + dt.timedelta(days=7)
    lines = [(board.today, "今天", "#b00020")] if start <= board.today <= end else []
    lines += [(board.deadline, "完成期限", "#111")] if board.deadline else []
    layout = {
        "title": {"text": "各项任务节点（计划与实际）"},
        "barmode": "overlay",
        "font": FONT,
        "height": max(320, 26 * len(rows) + 140),
        "margin": {"l": 300, "r": 20, "t": 60, "b": 40},
        "xaxis": {
            "type": "date",
            "title": {"text": "日期"},
            "tickformat": "%Y-%m-%d",
            "range": [(start - dt.timedelta(days=3)).isoformat(), end.isoformat()],
        },
        "yaxis": {"autorange": "reversed", "type": "category"},
        "legend": {"orientation": "h", "y": -0.08},
        "shapes": [_vertical(day, colour) for day, _, colour in lines],
        "annotations": [_note(day, text, colour) for day, text, colour in lines],
    }
    return {"data": traces, "layout": layout}


def burndown(chart: Burndown, deadline: dt.date | None) -> dict[str, Any]:
    """Open duties per day: the even plan to the deadline, and the actual count up to today."""
    days = [d.isoformat() for d in chart.days]
    actual = [(d, n) for d, n in zip(days, chart.actual, strict=True) if n is not None]
    traces = [
        {"type": "scatter", "mode": "lines", "name": "计划未完成数", "x": days, "y": list(chart.planned),
         "line": {"dash": "dash", "color": "#57606a"}},
        {"type": "scatter", "mode": "lines", "name": "实际未完成数", "x": [d for d, _ in actual],
         "y": [n for _, n in actual], "line": {"color": "#8b1a1a", "width": 3}},
    ]  # fmt: skip
    layout = {
        "title": {"text": "未完成任务数（燃尽图）"},
        "font": FONT,
        "height": 320,
        "margin": {"l": 60, "r": 20, "t": 60, "b": 40},
        "xaxis": {"type": "date", "title": {"text": "日期"}, "tickformat": "%Y-%m-%d"},
        "yaxis": {"title": {"text": "未完成任务数"}, "rangemode": "tozero"},
        "legend": {"orientation": "h", "y": -0.2},
        "shapes": [_vertical(deadline, "#111")] if deadline else [],
        "annotations": [_note(deadline, "完成期限", "#111")] if deadline else [],
    }
    return {"data": traces, "layout": layout}


def as_json(figure: dict[str, Any]) -> str:
    """The figure for a `<script type="application/json">` element: `<` escaped, so no text ends the element."""
    return json.dumps(figure, ensure_ascii=False, separators=(",", ":")).replace("<", "\\u003c")


def _vertical(day: dt.date, colour: str) -> dict[str, Any]:
    return {"type": "line", "xref": "x", "yref": "paper", "x0": day.isoformat(), "x1": day.isoformat(),
            "y0": 0, "y1": 1, "line": {"color": colour, "width": 1.5, "dash": "dot"}}  # fmt: skip


def _note(day: dt.date, text: str, colour: str) -> dict[str, Any]:
    return {"x": day.isoformat(), "xref": "x", "y": 1, "yref": "paper", "text": text, "showarrow": False,
            "yanchor": "bottom", "font": {"color": colour}}  # fmt: skip
