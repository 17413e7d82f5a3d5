"""What the templates print, worked out here so that templates only lay it out.

Registered as Jinja globals and filters in `pages`. Nothing here marks text safe: whatever a
target supplied (paths, snippets, titles, reasons) reaches the page only through autoescaping.
"""

from __future__ import annotations

from datetime import date, datetime

from firstpatch.model import Finding, Location
from firstpatch.store import FindingStatus, PatchWindow, TrackedFinding
from firstpatch.web.charts import DUE_SOON_DAYS, WindowItem

SHORT = 12

STATUS_LABELS = {
    FindingStatus.NEW: "new",
    FindingStatus.CONFIRMED: "confirmed",
    FindingStatus.PATCHED: "patched",
    FindingStatus.FIXED: "fixed",
    FindingStatus.REOPENED: "reopened",
    FindingStatus.ACCEPTED_RISK: "accepted risk",
    FindingStatus.FALSE_POSITIVE: "false positive",
}

# The project page's status filters: a name in the URL, the statuses it shows, its label.
SHOWN = {
    "open": (frozenset(s for s in FindingStatus if s.is_open), "Open"),
    "accepted-risk": (frozenset({FindingStatus.ACCEPTED_RISK}), "Accepted risk"),
    "false-positive": (frozenset({FindingStatus.FALSE_POSITIVE}), "False positive"),
    "fixed": (frozenset({FindingStatus.FIXED}), "Fixed"),
    "all": (frozenset(FindingStatus), "All"),
}


def short(value: str) -> str:
    return value[:SHORT]


def moment(value: datetime | date | None) -> str:
    if value is None:
        return "–"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    return value.isoformat()


def day(value: datetime | date | None) -> str:
    if value is None:
        return "–"
    return (value.date() if isinstance(value, datetime) else value).isoformat()


def where(location: Location) -> str:
    return f"{location.path}:{location.line}" if location.line else location.path


def in_kev(finding: Finding) -> bool:
    return finding.exploitation is not None and finding.exploitation.in_kev


def window_text(window: PatchWindow | None) -> str:
    if window is None:
        return "not open: no deadline runs"
    if window.days_allowed is None:
        return f"open {window.days_open} d, no deadline"
    text = f"open {window.days_open} of {window.days_allowed} d"
    if window.overdue:
        return f"{text}, overdue"
    left = window.days_allowed - window.days_open
    return f"{text}, {left} d left"


def window_class(window: PatchWindow | None) -> str:
    if window is None or window.days_allowed is None:
        return "muted"
    if window.overdue:
        return "overdue"
    return "due-soon" if window.days_allowed - window.days_open <= DUE_SOON_DAYS else "in-time"


def status_label(status: FindingStatus) -> str:
    return STATUS_LABELS[status]


def diff_lines(diff: str) -> list[tuple[str, str]]:
    """Each line of a unified diff and the class that colours it."""
    lines = []
    for line in diff.splitlines():
        if line.startswith(("+++", "---")):
            css = "file"
        elif line.startswith("@@"):
            css = "hunk"
        elif line.startswith("+"):
            css = "add"
        elif line.startswith("-"):
            css = "del"
        else:
            css = "ctx"
        lines.append((css, line))
    return lines


def window_item(tracked: TrackedFinding, href: str) -> WindowItem | None:
    if tracked.window is None:
        return None
    finding = tracked.finding
    label = f"{finding.severity.value} · {finding.rule_id}"
    due = f"; due {moment(tracked.window.due)}" if tracked.window.due else ""
    note = f"{finding.title} at {where(finding.location)}; open since {moment(tracked.window.opened_at)}{due}"
    return WindowItem(label, tracked.window, href, note)


def urgency(tracked: TrackedFinding) -> tuple[int, int]:
    """Sort key, most urgent first: overdue and least time left, then worst severity."""
    window = tracked.window
    left = 10**6 if window is None or window.days_allowed is None else window.days_allowed - window.days_open
    return (left, -tracked.finding.severity.rank)
