"""How `history`, `diff` and `triage` show what the store holds: tables like the scan's, or JSON.

The tables follow the table reporter's look (simple head, severity colours, ids never wrapped);
fingerprints and run ids are cut to 12 characters there, which the commands accept back as
unique prefixes. JSON gives everything whole, findings as findings-v1.
"""

from __future__ import annotations

import enum
import shutil
import sys
import unicodedata
from collections.abc import Sequence
from datetime import date, datetime
from io import StringIO
from typing import TYPE_CHECKING, Any

from rich import box
from rich.console import Console, RenderableType
from rich.table import Table
from rich.text import Text

from firstpatch.model import Finding, ProofStatus, Severity, to_json

if TYPE_CHECKING:  # the store pulls in SQLAlchemy and Alembic: not at start-up, only when used
    from firstpatch.store import LifecycleEvent, PatchWindow, RunDiff, RunSummary, TrackedFinding

SHORT = 12
TITLE_CHARS = 80
_SEVERITY_STYLE = {
    Severity.CRITICAL: "bold red",
    Severity.HIGH: "red",
    Severity.MEDIUM: "yellow",
    Severity.LOW: "cyan",
    Severity.NONE: "dim",
}
# Text from the scanned target (titles, paths) may carry escapes that move the cursor or
# reorder what is shown ("Trojan Source"): control and bidi characters are shown as \uXXXX.
_BIDI = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
_UNSAFE = {
    code: f"\\u{code:04x}"
    for code in (*range(0x20), *range(0x7F, 0xA0), *map(ord, _BIDI))
    if unicodedata.category(chr(code)) in ("Cc", "Cf")
}


class ViewFormat(enum.StrEnum):
    TABLE = "table"
    JSON = "json"


class Screen:
    """Standard output as the table reporter sets it up: colour only on a terminal, no markup,
    and no trailing padding (noise in a log or a diff)."""

    def __init__(self) -> None:
        color = sys.stdout.isatty()
        self._buffer = StringIO()
        self._console = Console(
            file=self._buffer,
            width=shutil.get_terminal_size(fallback=(120, 24)).columns,
            force_terminal=color,
            force_jupyter=False,
            force_interactive=False,
            color_system="standard" if color else None,
            no_color=not color,
            legacy_windows=False,
            markup=False,
            emoji=False,
            highlight=False,
        )

    def print(self, *renderables: RenderableType) -> None:
        self._console.print(*renderables)

    def __enter__(self) -> Screen:
        return self

    def __exit__(self, *exc_info: object) -> None:
        text = self._buffer.getvalue()
        sys.stdout.write("".join(line.rstrip(" ") + "\n" for line in text.splitlines()))


def safe(text: str) -> str:
    return text.translate(_UNSAFE)


def short(identifier: str) -> str:
    return identifier[:SHORT]


def title(finding: Finding) -> str:
    """A title for a table cell: advisory summaries can run to paragraphs; JSON has them whole."""
    text = " ".join(finding.title.split())
    return safe(text if len(text) <= TITLE_CHARS else text[: TITLE_CHARS - 1].rstrip() + "…")


def moment(value: datetime) -> str:
    return value.strftime("%Y-%m-%d %H:%M")


def _table() -> Table:
    return Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)


def _severity(severity: Severity) -> Text:
    return Text(severity.value, style=_SEVERITY_STYLE[severity])


def location(finding: Finding) -> str:
    place = finding.location
    if place.line == 0 and finding.component is not None:
        # A dependency finding without its own line points at the manifest line naming the package.
        place = next((loc for loc in finding.component.locations if loc.line), place)
    return f"{place.path}:{place.line}" if place.line else place.path


def _rule(finding: Finding) -> Text:
    rule = Text(safe(finding.rule_id))
    if finding.cwe is not None:
        rule.append(f"\nCWE-{finding.cwe}", style="dim")
    return rule


def runs_table(summaries: Sequence[RunSummary]) -> Table:
    table = _table()
    table.add_column("Run", no_wrap=True)
    table.add_column("Started (UTC)", no_wrap=True)
    table.add_column("Findings", justify="right")
    for severity in (Severity.CRITICAL, Severity.HIGH, Severity.MEDIUM, Severity.LOW):
        table.add_column(severity.value.capitalize(), justify="right", style=_SEVERITY_STYLE[severity])
    table.add_column("New", justify="right")
    table.add_column("Fixed", justify="right", style="green")
    table.add_column("Stages")
    for summary in summaries:
        table.add_row(
            short(summary.id),
            moment(summary.started),
            str(summary.findings),
            *(
                str(summary.by_severity[s])
                for s in (Severity.CRITICAL, Severity.HIGH, Severity.MEDIUM, Severity.LOW)
            ),
            str(summary.new),
            str(summary.fixed),
            safe(", ".join(summary.stages)),
        )
    return table


def findings_table(findings: Sequence[Finding]) -> Table:
    table = _table()
    table.add_column("Severity", no_wrap=True)
    table.add_column("Rule / CWE", no_wrap=True)
    table.add_column("Location", no_wrap=True)
    table.add_column("Title", max_width=48)
    table.add_column("Proof", no_wrap=True)
    table.add_column("Fingerprint", no_wrap=True)
    for finding in sorted(findings, key=lambda f: (-f.severity.rank, -f.risk, location(f))):
        proof = finding.evidence.status if finding.evidence is not None else None
        table.add_row(
            _severity(finding.severity),
            _rule(finding),
            safe(location(finding)),
            title(finding),
            Text(proof.value.replace("-", " "), style="bold red" if proof is ProofStatus.CONFIRMED else "")
            if proof is not None
            else Text("-", style="dim"),
            short(finding.fingerprint),
        )
    return table


def tracked_table(tracked: Sequence[TrackedFinding]) -> Table:
    table = _table()
    table.add_column("Severity", no_wrap=True)
    table.add_column("Status", no_wrap=True)
    table.add_column("Fingerprint", no_wrap=True)
    table.add_column("Rule / CWE", no_wrap=True)
    table.add_column("Location", no_wrap=True)
    table.add_column("Title", max_width=40)
    table.add_column("Open / allowed", no_wrap=True, justify="right")
    table.add_column("Due", no_wrap=True)
    for item in sorted(tracked, key=_urgency):
        table.add_row(
            _severity(item.finding.severity),
            _status(item),
            short(item.fingerprint),
            _rule(item.finding),
            safe(location(item.finding)),
            title(item.finding),
            _days(item.window),
            _due(item),
        )
    return table


def _urgency(item: TrackedFinding) -> tuple[int, str, int]:
    """Open before closed; overdue first; then by due date; then worst severity."""
    window = item.window
    if window is None:
        return (2, "", -item.finding.severity.rank)
    due = window.due.isoformat() if window.due is not None else "9999"
    return (0 if window.overdue else 1, due, -item.finding.severity.rank)


def _status(item: TrackedFinding) -> Text:
    from firstpatch.store import FindingStatus
    from firstpatch.store.lifecycle import EXPIRED, SCANNER

    text = Text(item.status.value)
    if item.finding.exploitation is not None and item.finding.exploitation.in_kev:
        text.append(" KEV", style="bold red")
    if item.status is FindingStatus.REOPENED:
        # Why matters: a regression, an acceptance that ran out, or a person's call.
        if item.status_by != SCANNER:
            why = f"by {safe(item.status_by)}"
        else:
            why = "acceptance expired" if item.status_reason.startswith(EXPIRED) else "seen again"
        text.append(f"\n{why}", style="dim")
    return text


def _days(window: PatchWindow | None) -> Text:
    if window is None:
        return Text("-", style="dim")
    allowed = str(window.days_allowed) if window.days_allowed is not None else "-"
    return Text(f"{window.days_open} / {allowed} d", style="bold red" if window.overdue else "")


def _due(item: TrackedFinding) -> Text:
    if item.accepted_until is not None:
        return Text(f"accepted to {item.accepted_until.isoformat()}", style="dim")
    window = item.window
    if window is None or window.due is None:
        return Text("-", style="dim")
    label = window.due.date().isoformat()
    return Text(f"{label} OVERDUE", style="bold red") if window.overdue else Text(label)


def events_table(events: Sequence[LifecycleEvent]) -> Table:
    table = _table()
    table.add_column("When (UTC)", no_wrap=True)
    table.add_column("Change", no_wrap=True)
    table.add_column("Who", no_wrap=True)
    table.add_column("Run", no_wrap=True)
    table.add_column("Reason")
    for event in events:
        before = event.before.value if event.before is not None else "(none)"
        table.add_row(
            moment(event.at),
            f"{before} → {event.after.value}",
            safe(event.who),
            short(event.run) if event.run is not None else "-",
            safe(event.reason),
        )
    return table


def diff_sections(diff: RunDiff) -> list[tuple[str, tuple[Finding, ...]]]:
    return [
        ("New", diff.new),
        ("Fixed", diff.fixed),
        ("Still open", diff.still_open),
        ("Not checked by the newer run", diff.not_checked),
    ]


# JSON: plain values, whole ids, findings as findings-v1.


def summary_json(summary: RunSummary) -> dict[str, Any]:
    return {
        "id": summary.id,
        "target": summary.target,
        "started": summary.started.isoformat(),
        "finished": summary.finished.isoformat(),
        "tool_version": summary.tool_version,
        "stages": list(summary.stages),
        "findings": summary.findings,
        "by_severity": {severity.value: count for severity, count in summary.by_severity.items()},
        "new": summary.new,
        "fixed": summary.fixed,
    }


def diff_json(diff: RunDiff) -> dict[str, Any]:
    return {
        "base": summary_json(diff.base),
        "head": summary_json(diff.head),
        "new": [to_json(f) for f in diff.new],
        "fixed": [to_json(f) for f in diff.fixed],
        "still_open": [to_json(f) for f in diff.still_open],
        "not_checked": [to_json(f) for f in diff.not_checked],
    }


def tracked_json(item: TrackedFinding) -> dict[str, Any]:
    window = item.window
    return {
        "target": item.target,
        "fingerprint": item.fingerprint,
        "status": item.status.value,
        "first_seen": {"run": item.first_seen, "at": item.first_seen_at.isoformat()},
        "last_seen": {"run": item.last_seen, "at": item.last_seen_at.isoformat()},
        "status_changed": {
            "at": item.status_at.isoformat(),
            "by": item.status_by,
            "reason": item.status_reason,
        },
        "accepted_until": _date(item.accepted_until),
        "window": None
        if window is None
        else {
            "opened_at": window.opened_at.isoformat(),
            "days_open": window.days_open,
            "days_allowed": window.days_allowed,
            "due": window.due.isoformat() if window.due is not None else None,
            "overdue": window.overdue,
        },
        "finding": to_json(item.finding),
    }


def event_json(event: LifecycleEvent) -> dict[str, Any]:
    return {
        "at": event.at.isoformat(),
        "who": event.who,
        "from": event.before.value if event.before is not None else None,
        "to": event.after.value,
        "reason": event.reason,
        "run": event.run,
    }


def _date(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None
