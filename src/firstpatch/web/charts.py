"""The dashboard's charts as geometry in a fixed SVG coordinate space; templates only draw them.

No chart library and no script: the numbers become rectangles here, and every label the
template prints goes through autoescaping, so a target's text cannot become markup in a chart.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from firstpatch.model import Severity
from firstpatch.store import PatchWindow, RunSummary

WIDTH = 640
LABEL_WIDTH = 200
ROW = 26
_VALUE_ROOM = 130  # right of the bars, for "40 of 30 d, 10 overdue"
_PLOT = WIDTH - LABEL_WIDTH - _VALUE_ROOM
SEVERITIES = (Severity.CRITICAL, Severity.HIGH, Severity.MEDIUM, Severity.LOW, Severity.NONE)
DUE_SOON_DAYS = 7


@dataclass(frozen=True, slots=True)
class Rect:
    x: float
    y: float
    width: float
    height: float
    css: str


@dataclass(frozen=True, slots=True)
class Row:
    """One horizontal bar (or several pieces of one), its label, the value printed beside it."""

    label: str
    value: str
    y: float
    pieces: tuple[Rect, ...]
    value_x: float
    note: str = ""  # a tooltip
    href: str = ""
    tick_x: float | None = None  # the deadline, on a patch-window bar


@dataclass(frozen=True, slots=True)
class BarChart:
    title: str
    rows: tuple[Row, ...]
    height: float
    empty: str


@dataclass(frozen=True, slots=True)
class Column:
    """One run in the trend: stacked severity pieces, and what its tooltip says."""

    x: float
    width: float
    pieces: tuple[Rect, ...]
    note: str
    label: str  # the date under every few columns; "" under the rest
    href: str


@dataclass(frozen=True, slots=True)
class TrendChart:
    title: str
    columns: tuple[Column, ...]
    plot_height: float
    height: float
    largest: int
    empty: str


def severity_chart(title: str, counts: Mapping[Severity, int], empty: str) -> BarChart:
    largest = max(counts.values(), default=0)
    if largest == 0:
        return BarChart(title, (), ROW, empty)
    rows = []
    for index, severity in enumerate(SEVERITIES):
        n = counts.get(severity, 0)
        width = _PLOT * n / largest
        y = index * ROW
        rows.append(
            Row(
                label=severity.value,
                value=str(n),
                y=y,
                pieces=(Rect(LABEL_WIDTH, y + 4, width, 18, f"sev-fill-{severity.value}"),),
                value_x=LABEL_WIDTH + width + 6,
            )
        )
    return BarChart(title, tuple(rows), len(rows) * ROW, empty)


@dataclass(frozen=True, slots=True)
class WindowItem:
    """An open finding's patch window as a chart row shows it."""

    label: str
    window: PatchWindow
    href: str
    note: str = ""


def window_chart(title: str, items: Sequence[WindowItem], empty: str) -> BarChart:
    """Days open against days allowed: a track as long as the deadline, filled as far as the
    window has run; past the deadline the bar runs on in the overdue colour."""
    if not items:
        return BarChart(title, (), ROW, empty)
    reach = max(max(i.window.days_open, i.window.days_allowed or 0) for i in items) or 1
    scale = _PLOT / reach
    rows = []
    for index, item in enumerate(items):
        window, y = item.window, index * ROW
        pieces: list[Rect] = []
        allowed = window.days_allowed
        tick = None
        opened = max(window.days_open * scale, 1.5)  # a window opened today still shows a sliver
        if allowed is None:
            pieces.append(Rect(LABEL_WIDTH, y + 4, opened, 18, "window-open"))
            value = f"{window.days_open} d, no deadline"
        else:
            track = allowed * scale
            pieces.append(Rect(LABEL_WIDTH, y + 4, track, 18, "window-track"))
            left = allowed - window.days_open
            css = (
                "window-overdue"
                if window.overdue
                else "window-soon"
                if left <= DUE_SOON_DAYS
                else "window-open"
            )
            pieces.append(Rect(LABEL_WIDTH, y + 4, min(opened, max(track, 1.5)), 18, css))
            if window.overdue and window.days_open > allowed:
                pieces.append(Rect(LABEL_WIDTH + track, y + 4, opened - track, 18, "window-overdue"))
            tick = LABEL_WIDTH + track
            value = f"{window.days_open} of {allowed} d"
            if window.overdue:
                value += f", {max(window.days_open - allowed, 0)} over"
        end = max(p.x + p.width for p in pieces)
        rows.append(Row(item.label, value, y, tuple(pieces), end + 6, item.note, item.href, tick))
    return BarChart(title, tuple(rows), len(rows) * ROW, empty)


TREND_PLOT_HEIGHT = 160
_TREND_AXIS = 36  # room under the plot for dates
_TREND_LEFT = 36  # room for the scale on the left


def trend_chart(title: str, runs: Sequence[RunSummary], hrefs: Sequence[str], empty: str) -> TrendChart:
    """Findings per run, oldest first, stacked by severity."""
    if not runs:
        return TrendChart(title, (), TREND_PLOT_HEIGHT, TREND_PLOT_HEIGHT, 0, empty)
    largest = max(run.findings for run in runs) or 1
    slot = (WIDTH - _TREND_LEFT) / len(runs)
    width = max(min(slot * 0.7, 40), 2)
    label_every = max(1, round(len(runs) / 6))  # about six dates under the axis, never crowded
    columns = []
    for index, (run, href) in enumerate(zip(runs, hrefs, strict=True)):
        x = _TREND_LEFT + index * slot + (slot - width) / 2
        top = float(TREND_PLOT_HEIGHT)
        pieces = []
        for severity in SEVERITIES:
            n = run.by_severity.get(severity, 0)
            if n:
                height = TREND_PLOT_HEIGHT * n / largest
                top -= height
                pieces.append(Rect(x, top, width, height, f"sev-fill-{severity.value}"))
        counts = ", ".join(
            f"{run.by_severity.get(s, 0)} {s.value}" for s in SEVERITIES if run.by_severity.get(s, 0)
        )
        note = (
            f"{run.started.strftime('%Y-%m-%d %H:%M')} UTC · {run.target} · "
            f"{run.findings} findings ({counts or 'none'}); {run.new} new, {run.fixed} fixed"
        )
        last = index == len(runs) - 1
        label = run.started.strftime("%m-%d") if index % label_every == 0 or last else ""
        columns.append(Column(x, width, tuple(pieces), note, label, href))
    return TrendChart(
        title, tuple(columns), TREND_PLOT_HEIGHT, TREND_PLOT_HEIGHT + _TREND_AXIS, largest, empty
    )
