"""The HTML report's charts as geometry: bars with positions in a fixed SVG coordinate space.

The template only draws what is computed here, and every label it prints goes through Jinja's
autoescaping, so no chart needs a script or a library, and none can carry markup from the target.

Patch windows: a finding's deadline comes from the caller (the store's policy knows when each
finding was first seen and what its deadline is) or, without one, from the CISA KEV due date the
finding carries. The chart shows days left before each deadline, overdue ones to the left of
zero, on the day the run finished.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from firstpatch.model import Finding, Severity

WIDTH = 640  # SVG user units; the SVG scales to the page's width
LABEL_WIDTH = 210
ROW = 26
_PLOT = WIDTH - LABEL_WIDTH - 60  # room on the right for the value
# Risk bands named as GitHub and CVSS name score bands, so "critical" means the same everywhere.
RISK_BANDS = (("critical", 9.0), ("high", 7.0), ("medium", 4.0), ("low", 0.0))
_BAND_LABEL = {
    "critical": "critical (9-10)",
    "high": "high (7-8.9)",
    "medium": "medium (4-6.9)",
    "low": "low (0-3.9)",
}
_TOP_CWES = 8


@dataclass(frozen=True, slots=True)
class Deadline:
    """When a finding must be fixed by, and since when it has been open, if known."""

    due: date
    source: str  # "CISA KEV due date", "policy: high, 30 days", ...
    opened: date | None = None


@dataclass(frozen=True, slots=True)
class Bar:
    label: str
    value: str  # as printed beside the bar
    x: float
    width: float
    y: float
    css: str  # class of the bar: a band, "overdue" or "open"
    note: str = ""  # a tooltip


@dataclass(frozen=True, slots=True)
class Chart:
    title: str
    bars: tuple[Bar, ...]
    height: float
    empty: str  # what the chart says when it has nothing to draw
    zero_x: float | None = None  # the zero line of a chart that runs both ways


def risk_chart(findings: Sequence[Finding]) -> Chart:
    counts = Counter(_band(f.risk) for f in findings)
    rows = [(_BAND_LABEL[band], counts[band], f"band-{band}") for band, _ in RISK_BANDS]
    return _count_chart("Findings by risk", rows, "No findings.")


def cwe_chart(findings: Sequence[Finding]) -> Chart:
    counts = Counter(f"CWE-{f.cwe}" if f.cwe is not None else "no CWE" for f in findings)
    ranked = counts.most_common()
    top, rest = ranked[:_TOP_CWES], ranked[_TOP_CWES:]
    rows = [(name, n, "band-cwe") for name, n in top]
    if rest:
        rows.append((f"{len(rest)} other CWEs", sum(n for _, n in rest), "band-cwe"))
    return _count_chart("Findings by CWE", rows, "No findings.")


def _count_chart(title: str, rows: Sequence[tuple[str, int, str]], empty: str) -> Chart:
    largest = max((n for _, n, _ in rows), default=0)
    if largest == 0:
        return Chart(title, (), ROW, empty)
    bars = tuple(
        Bar(label, str(n), LABEL_WIDTH, _PLOT * n / largest, index * ROW, css)
        for index, (label, n, css) in enumerate(rows)
    )
    return Chart(title, bars, len(bars) * ROW, empty)


def _band(risk: float) -> str:
    return next(name for name, floor in RISK_BANDS if risk >= floor)


def deadlines_from_run(findings: Sequence[Finding]) -> dict[str, Deadline]:
    """The deadlines the findings themselves carry: CISA KEV due dates."""
    found: dict[str, Deadline] = {}
    for finding in findings:
        due = finding.exploitation.kev_due_date if finding.exploitation is not None else None
        if not due:
            continue
        try:
            found[finding.fingerprint] = Deadline(date.fromisoformat(due), "CISA KEV due date")
        except ValueError:
            continue  # a malformed date in the feed is no deadline; the finding shows it as text
    return found


def window_chart(findings: Sequence[Finding], deadlines: Mapping[str, Deadline], today: date) -> Chart:
    """Days left before each deadline (negative: overdue), most urgent first."""
    title = "Patch windows: days left before each deadline"
    dated = [(f, deadlines[f.fingerprint]) for f in findings if f.fingerprint in deadlines]
    if not dated:
        return Chart(
            title,
            (),
            ROW,
            "This run carries no deadline data: no finding is in CISA KEV with a due date, and no "
            "deadlines from a store's policy were given.",
        )
    dated.sort(key=lambda pair: (pair[1].due, -pair[0].severity.rank))
    left = [(deadline.due - today).days for _, deadline in dated]
    reach = max(max((abs(d) for d in left), default=1), 1)
    zero = LABEL_WIDTH + _PLOT / 2
    scale = (_PLOT / 2) / reach
    bars = []
    for index, ((finding, deadline), days) in enumerate(zip(dated, left, strict=True)):
        width = max(abs(days) * scale, 1.5)  # a deadline due today still shows a sliver
        x = zero if days >= 0 else zero - width
        value = f"{days} d left" if days >= 0 else f"{-days} d overdue"
        note = f"due {deadline.due.isoformat()} ({deadline.source})"
        if deadline.opened is not None:
            # The window's age against its length: what a team watches close.
            opened = (today - deadline.opened).days
            allowed = (deadline.due - deadline.opened).days
            value += f", open {opened} of {allowed} d"
            note += f"; open since {deadline.opened.isoformat()}"
        label = f"{finding.severity.value} · {finding.rule_id}"
        css = "overdue" if days < 0 else ("due-soon" if days <= 7 else "open")
        bars.append(Bar(label, value, x, width, index * ROW, css, note))
    return Chart(title, tuple(bars), len(bars) * ROW, "", zero_x=zero)


def severity_order() -> tuple[Severity, ...]:
    return (Severity.CRITICAL, Severity.HIGH, Severity.MEDIUM, Severity.LOW, Severity.NONE)
