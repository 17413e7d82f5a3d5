"""`--format markdown`: the run as a pull-request comment.

A summary line, a table of findings by risk, then one collapsed `<details>` per finding with its
trace, its proof (the reproducer and the request) and its patch. Everything the target supplied
goes through `markdown_text`, so the comment cannot be made to carry HTML, links or mentions.
GitHub refuses a comment over 65,536 characters; the details of the lowest-risk findings are
left out first, and the comment says how many.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import PurePath
from urllib.parse import quote

from firstpatch.model import Evidence, Finding, FindingKind, Patch, PatchStatus, ProofStatus, Run, Skipped
from firstpatch.report.interface import Reporter
from firstpatch.report.markdown_text import code, fenced, html_text, prose, prose_block
from firstpatch.report.summary import by_risk, count, in_kev, primary_location, summarise, where

GITHUB_COMMENT_LIMIT = 65_536
_PROOF = {
    ProofStatus.CONFIRMED: "**confirmed**",
    ProofStatus.UNTESTABLE: "untestable",
    ProofStatus.NOT_CONFIRMED: "not confirmed",
}
_NOTHING = "–"


class MarkdownReporter(Reporter):
    format = "markdown"

    def __init__(self, *, max_length: int = GITHUB_COMMENT_LIMIT) -> None:
        """`max_length` caps the comment in characters (GitHub's limit by default)."""
        self._max_length = max_length

    def render(self, run: Run) -> str:
        findings = by_risk(run.findings)
        head = _heading(run)
        rows = [_row(number, finding) for number, finding in enumerate(findings, 1)]
        details = [_details(number, finding) for number, finding in enumerate(findings, 1)]
        skipped = _skipped(run.skipped)
        return _fit(head, rows, details, skipped, self._max_length)


def _fit(head: str, rows: list[str], details: list[str], skipped: str, limit: int) -> str:
    """The whole comment if it fits; otherwise the details, then table rows, of the lowest-risk
    findings are left out (they come last), with a line that says so. The length only grows
    with what is kept, so the most that fits is found by bisection."""

    def text(kept_rows: int, kept_details: int) -> str:
        return _assemble(head, rows[:kept_rows], details[:kept_details], skipped, len(rows))

    whole = text(len(rows), len(details))
    if len(whole) <= limit:
        return whole
    if len(text(len(rows), 0)) <= limit:
        kept = _most_that_fits(len(details), lambda n: len(text(len(rows), n)) <= limit)
        return text(len(rows), kept)
    kept = _most_that_fits(len(rows), lambda n: len(text(n, 0)) <= limit)
    return text(kept, 0)


def _most_that_fits(upper: int, fits: Callable[[int], bool]) -> int:
    """The largest n in [0, upper] with fits(n), given that fits holds for every smaller n."""
    low, high = 0, upper
    while low < high:
        middle = (low + high + 1) // 2
        if fits(middle):
            low = middle
        else:
            high = middle - 1
    return low


def _assemble(head: str, rows: list[str], details: list[str], skipped: str, total: int) -> str:
    parts = [head]
    if rows:
        header = "| # | Risk | Severity | Finding | Where | Proof | Patch / fix |"
        rule = "|--:|-----:|----------|---------|-------|-------|-------------|"
        parts.append("\n".join([header, rule, *rows]))
    if len(rows) < total:
        parts.append(
            f"_{count(total - len(rows), 'more finding')} left out of the table to stay within "
            "GitHub's comment limit; the HTML or SARIF report has them all._"
        )
    if skipped:
        parts.append(skipped)
    parts.extend(details)
    if len(details) < len(rows):
        left_out = len(rows) - len(details)
        parts.append(
            f"_The details of {count(left_out, 'finding')} are left out to stay within GitHub's "
            "comment limit; the HTML or SARIF report has them all._"
        )
    return "\n\n".join(parts) + "\n"


def _heading(run: Run) -> str:
    summary = summarise(run)
    if summary.findings:
        title = f"### firstpatch: {count(summary.findings, 'finding')} ({summary.severity_phrase()})"
    else:
        title = "### firstpatch: no findings"
    facts = [
        f"**{summary.confirmed}** confirmed by proof",
        f"**{count(summary.verified_patches, 'verified patch', 'verified patches')}**",
        f"**{summary.in_kev}** in CISA KEV",
    ]
    if summary.skipped:
        facts.append(f"{count(summary.skipped, 'input')} skipped")
    # Only the folder's name: the absolute path of a CI workspace is noise in a comment.
    target = PurePath(run.target).name or run.target
    context = (
        f"<sub>{html_text(target)} · run {html_text(run.id)} · firstpatch {html_text(run.tool_version)}</sub>"
    )
    return "\n".join([title, "", " · ".join(facts), "", context])


def _row(number: int, finding: Finding) -> str:
    severity = finding.severity.value
    if in_kev(finding):
        severity += " · **KEV**"
    rule = code(finding.rule_id, in_table=True)
    if finding.cwe is not None:
        rule += f" · CWE-{finding.cwe}"
    cells = [
        str(number),
        f"{finding.risk:.1f}",
        severity,
        f"{rule}<br>{prose(finding.title)}",
        code(where(primary_location(finding)), in_table=True),
        _PROOF[finding.evidence.status] if finding.evidence is not None else _NOTHING,
        _remedy(finding),
    ]
    return "| " + " | ".join(cells) + " |"


def _remedy(finding: Finding) -> str:
    if finding.patch is not None:
        return "verified patch" if finding.patch.status is PatchStatus.VERIFIED else "unverified patch"
    if finding.kind is FindingKind.DEPENDENCY:
        if finding.fix_version:
            return f"upgrade to {code(finding.fix_version, in_table=True)}"
        return "no fixed version"
    return _NOTHING


def _skipped(skipped: tuple[Skipped, ...]) -> str:
    if not skipped:
        return ""
    lines = [f"**Skipped {count(len(skipped), 'input')}** (the scan went on without them):", ""]
    for item in skipped:
        place = f"{item.path}:{item.line}" if item.line else item.path
        lines.append(f"- {code(place) if place else _NOTHING}: {prose(item.reason)}")
    return "\n".join(lines)


def _details(number: int, finding: Finding) -> str:
    summary = (
        f"#{number} · {finding.severity.value}{' · KEV' if in_kev(finding) else ''} · "
        f"{html_text(finding.rule_id)} · {html_text(where(primary_location(finding)))} — "
        f"{html_text(finding.title)}"
    )
    body = [f"<details>\n<summary>{summary}</summary>"]
    if finding.message:
        body.append(prose_block(finding.message))
    body.append("\n".join(_facts(finding)))
    if finding.trace:
        body.append(_trace(finding))
    if finding.evidence is not None:
        body.extend(_proof(finding.evidence))
    if finding.patch is not None:
        body.extend(_patch(finding.patch))
    body.append("</details>")
    return "\n\n".join(body)


def _facts(finding: Finding) -> list[str]:
    facts = [
        f"- **Risk** {finding.risk:.1f}"
        + (f": {prose('; '.join(finding.risk_reasons))}" if finding.risk_reasons else "")
    ]
    entry = finding.entry_point
    if entry is not None:
        route = f"{' '.join(entry.methods)} {entry.route}".strip()
        line = f"- **Entry point** {code(route)} ({code(entry.function)}, {prose(entry.framework)})"
        if entry.input_kind is not None and entry.parameter:
            line += f", {entry.input_kind.value} parameter {code(entry.parameter)}"
        facts.append(line)
    component = finding.component
    if component is not None:
        line = f"- **Package** {code(component.purl)}" + ("" if component.direct else " (transitive)")
        if finding.fix_version:
            line += f": upgrade to {code(finding.fix_version)}"
        facts.append(line)
    if finding.advisory_ids:
        links = ", ".join(
            f"[{prose(a)}](https://osv.dev/vulnerability/{quote(a, safe='')})" for a in finding.advisory_ids
        )
        aliases = f" ({prose(', '.join(finding.aliases))})" if finding.aliases else ""
        facts.append(f"- **Advisories** {links}{aliases}")
    if finding.cvss_score is not None or finding.cvss_vector:
        score = f"{finding.cvss_score:.1f} " if finding.cvss_score is not None else ""
        facts.append(f"- **CVSS** {score}{code(finding.cvss_vector) if finding.cvss_vector else ''}".rstrip())
    exploitation = finding.exploitation
    if exploitation is not None:
        signals = []
        if exploitation.in_kev:
            due = f", due {prose(exploitation.kev_due_date)}" if exploitation.kev_due_date else ""
            ransomware = ", used in ransomware" if exploitation.kev_ransomware else ""
            signals.append(f"**in CISA KEV**{due}{ransomware}")
        if exploitation.epss is not None:
            percentile = (
                f" \\(percentile {exploitation.epss_percentile:.2f}\\)"
                if exploitation.epss_percentile is not None
                else ""
            )
            signals.append(f"EPSS {exploitation.epss:.4f}{percentile}")
        if signals:
            facts.append("- **Exploitation** " + "; ".join(signals))
    if finding.reachable is not None:
        facts.append(
            "- **Reachable** "
            + (
                "yes: the project's code imports the affected module"
                if finding.reachable
                else "no: the project's code does not import the affected module"
            )
        )
    return facts


def _trace(finding: Finding) -> str:
    lines = ["**Trace** (source to sink)", ""]
    for index, step in enumerate(finding.trace, 1):
        line = f"{index}. {step.kind.value} at {code(where(step.location))}: {prose(step.description)}"
        if step.location.snippet:
            line += f"<br>{code(step.location.snippet)}"
        lines.append(line)
    return "\n".join(lines)


def _proof(evidence: Evidence) -> list[str]:
    parts = [f"**Proof: {_PROOF[evidence.status].strip('*')}** — {prose(evidence.reason)}"]
    if evidence.event is not None:
        parts.append(f"The oracle {code(evidence.event.oracle)} saw {code(evidence.event.detail)}.")
    if evidence.reproducer:
        parts.append("Reproducer:\n\n" + fenced(evidence.reproducer, "python"))
    if evidence.request:
        parts.append("The same request with curl:\n\n" + fenced(evidence.request, "sh"))
    return parts


def _patch(patch: Patch) -> list[str]:
    head = f"**Patch ({patch.status.value})** — {prose(patch.description.rstrip('.'))}."
    if patch.checks:
        checks = "; ".join(
            f"{'passed' if check.passed else 'failed'} {prose(check.name)}"
            + (f" \\({prose(check.detail)}\\)" if check.detail else "")
            for check in patch.checks
        )
        head += f" Checks: {checks}."
    return [head, fenced(patch.diff, "diff")]
