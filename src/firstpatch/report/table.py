"""`--format table` (the default): the run as a terminal table, worst first."""

from __future__ import annotations

import shutil
import unicodedata
from io import StringIO

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from firstpatch.model import Finding, FindingKind, PatchStatus, ProofStatus, Run, Severity
from firstpatch.report.interface import Reporter
from firstpatch.report.summary import count, in_kev, primary_location, proof_status, summarise, where

_SEVERITY_STYLE = {
    Severity.CRITICAL: "bold red",
    Severity.HIGH: "red",
    Severity.MEDIUM: "yellow",
    Severity.LOW: "cyan",
    Severity.NONE: "dim",
}
_PROOF_STYLE = {
    ProofStatus.CONFIRMED: "bold red",
    ProofStatus.UNTESTABLE: "yellow",
    ProofStatus.NOT_CONFIRMED: "dim",
}
# A confirmed finding outranks an unproved one of the same severity; one the prover tried and
# could not trigger ranks last. Untestable and not-yet-proved say the same: we do not know.
_PROOF_RANK = {ProofStatus.CONFIRMED: 3, ProofStatus.UNTESTABLE: 2, None: 2, ProofStatus.NOT_CONFIRMED: 1}
# Bidirectional overrides can make a path or title read differently from what it is ("Trojan
# Source"); like control characters they are shown escaped, never passed to the terminal.
_BIDI = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


class TableReporter(Reporter):
    format = "table"

    def __init__(self, *, color: bool = False, width: int | None = None) -> None:
        """`color` writes ANSI styles (the CLI passes whether its stdout is a colour terminal).
        `width` None means $COLUMNS, else the terminal's width, else 120 columns for a pipe or a
        CI log, which are wider than the 80 columns Rich would assume."""
        self._color = color
        self._width = width

    def render(self, run: Run) -> str:
        buffer = StringIO()
        # Everything that Rich would otherwise read from the environment is fixed here, so the
        # same run renders the same text in a test, a pipe and a CI log.
        console = Console(
            file=buffer,
            width=self._width or shutil.get_terminal_size(fallback=(120, 24)).columns,
            force_terminal=self._color,
            force_jupyter=False,
            force_interactive=False,
            color_system="standard" if self._color else None,
            no_color=not self._color,
            legacy_windows=False,
            markup=False,
            emoji=False,
            highlight=False,
        )
        findings = sorted(run.findings, key=_priority)
        if findings:
            console.print(_table(findings))
            console.print()
        if run.skipped:
            console.print(Text(f"Skipped {count(len(run.skipped), 'input')}:", style="bold"))
            for skipped in run.skipped:
                where = f"{skipped.path}:{skipped.line}" if skipped.line else skipped.path
                console.print(Text.assemble("  ", (_clean(where), "yellow"), "  ", _clean(skipped.reason)))
            console.print()
        console.print(_summary(run))
        # Rich pads every line to the table's width; the padding is noise in a log or a diff.
        return "".join(line.rstrip(" ") + "\n" for line in buffer.getvalue().splitlines())


def _priority(finding: Finding) -> tuple[float, int, int, str, int]:
    # Riskiest first: risk already weighs exploitation, severity and proof (rank.py).
    return (
        -finding.risk,
        -finding.severity.rank,
        -_PROOF_RANK[proof_status(finding)],
        finding.location.path,
        finding.location.line,
    )


def _table(findings: list[Finding]) -> Table:
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    table.add_column("Risk", no_wrap=True, justify="right")
    table.add_column("Severity", no_wrap=True)
    # Ids and locations are what users copy and grep for: never broken across lines.
    table.add_column("Rule / CWE", no_wrap=True)
    table.add_column("Location", no_wrap=True)
    table.add_column("Title", max_width=48)
    table.add_column("Proof", no_wrap=True)
    table.add_column("Patch / fix", no_wrap=True)
    for finding in findings:
        rule = Text(_clean(finding.rule_id))
        if finding.cwe is not None:
            rule.append(f"\nCWE-{finding.cwe}", style="dim")
        severity = Text(finding.severity.value, style=_SEVERITY_STYLE[finding.severity])
        if in_kev(finding):
            # Exploited in the wild: the one fact that should move a row up a reader's list.
            severity.append("\nKEV", style="bold red")
        title = Text(_clean(finding.title))
        if signals := _signals(finding):
            title.append(f"\n{_clean(signals)}", style="dim")
        table.add_row(
            Text(f"{finding.risk:.1f}"),
            severity,
            rule,
            Text(_clean(where(primary_location(finding)))),
            title,
            _proof(finding),
            _remedy(finding),
        )
    return table


def _signals(finding: Finding) -> str:
    """What ranked a dependency finding, in one line: its CVE, CVSS and EPSS."""
    parts = [alias for alias in finding.aliases if alias.startswith("CVE-")][:1]
    if finding.cvss_score is not None:
        parts.append(f"CVSS {finding.cvss_score:.1f}")
    if finding.exploitation is not None and finding.exploitation.epss is not None:
        parts.append(f"EPSS {finding.exploitation.epss:.1%}")
    return " · ".join(parts)


def _proof(finding: Finding) -> Text:
    if finding.evidence is None:
        return Text("-", style="dim")
    status = finding.evidence.status
    return Text(status.value.replace("-", " "), style=_PROOF_STYLE[status])


def _remedy(finding: Finding) -> Text:
    if finding.patch is not None:
        verified = finding.patch.status is PatchStatus.VERIFIED
        return Text(f"{finding.patch.status.value} patch", style="green" if verified else "yellow")
    if finding.kind is FindingKind.DEPENDENCY:
        if finding.fix_version:
            return Text(f"upgrade to {_clean(finding.fix_version)}", style="green")
        return Text("no fixed version", style="dim")
    return Text("-", style="dim")


def _summary(run: Run) -> Text:
    summary = summarise(run)
    if not summary.findings:
        text = Text("No findings", style="bold green")
    else:
        text = Text(f"{count(summary.findings, 'finding')} ({summary.severity_phrase()})", style="bold")
        verified = count(summary.verified_patches, "verified patch", "verified patches")
        text.append(f"; {summary.confirmed} confirmed; {verified}")
    if run.skipped:
        text.append(f"; {count(len(run.skipped), 'input')} skipped")
    text.append(".")
    return text


def _clean(text: str) -> str:
    """Target-controlled text with control and bidi characters shown as escapes: a file name
    must not be able to move the cursor, recolour the terminal or reorder what is shown."""
    if text.isprintable():
        return text
    return "".join(
        f"\\u{ord(char):04x}" if char in _BIDI or unicodedata.category(char) == "Cc" else char
        for char in text
    )
