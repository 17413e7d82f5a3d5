"""`--format html`: one self-contained HTML file that works offline.

Summary cards, charts drawn as inline SVG, a table that sorts and filters with a few lines of
plain JavaScript, and each finding's trace, proof and patch. The page loads nothing: its style
and script are inline, and a Content-Security-Policy allows exactly those two by their hashes,
so even a mistake in escaping could not run another script. Everything the target supplied
(file names, snippets, messages) goes through Jinja's autoescaping.
"""

from __future__ import annotations

import base64
import functools
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date
from importlib import resources
from pathlib import PurePath
from typing import TYPE_CHECKING, Any

from firstpatch.model import Finding, Run, Severity
from firstpatch.report.html_charts import Deadline, cwe_chart, deadlines_from_run, risk_chart, window_chart
from firstpatch.report.interface import Reporter
from firstpatch.report.summary import (
    by_risk,
    has_verified_patch,
    in_kev,
    is_confirmed,
    primary_location,
    proof_status,
    summarise,
    where,
)

if TYPE_CHECKING:
    from jinja2 import Environment

_TEMPLATES = "templates"


@dataclass(frozen=True, slots=True)
class _Asset:
    text: str
    csp_hash: str  # "'sha256-...'" for the Content-Security-Policy


class HtmlReporter(Reporter):
    format = "html"

    def __init__(self, deadlines: Mapping[str, Deadline] | None = None) -> None:
        """`deadlines` maps a finding's fingerprint to its deadline (the store's policy knows
        them); without them the report uses the CISA KEV due dates the findings carry."""
        self._deadlines = dict(deadlines) if deadlines is not None else None

    def render(self, run: Run) -> str:
        findings = by_risk(run.findings)
        today = run.finished.astimezone(UTC).date() if run.finished.tzinfo else run.finished.date()
        deadlines = self._deadlines if self._deadlines is not None else deadlines_from_run(findings)
        style, script = _asset("report.css"), _asset("report.js")
        summary = summarise(run)
        context: dict[str, Any] = {
            "run": run,
            "target_name": PurePath(run.target).name or run.target,
            "summary": summary,
            "by_severity": dict(summary.by_severity),
            "severities": [s for s in Severity if s is not Severity.NONE],
            "findings": [
                _view(number, f, deadlines.get(f.fingerprint), today) for number, f in enumerate(findings, 1)
            ],
            "charts": [risk_chart(findings), cwe_chart(findings), window_chart(findings, deadlines, today)],
            "style": style.text,
            "script": script.text,
            # Nothing but our own style and script, named by hash; nothing fetched at all.
            "csp": f"default-src 'none'; style-src {style.csp_hash}; script-src {script.csp_hash}",
        }
        return _environment().get_template("report.html.j2").render(context)


def _view(number: int, finding: Finding, deadline: Deadline | None, today: date) -> dict[str, Any]:
    """What the template shows of one finding, computed here so the template only prints."""
    status = proof_status(finding)
    patch = finding.patch
    if patch is not None:
        remedy = f"{patch.status.value} patch"
    elif finding.fix_version:
        remedy = f"upgrade to {finding.fix_version}"
    else:
        remedy = "none" if finding.component is not None else "–"
    window = ""
    if deadline is not None:
        days = (deadline.due - today).days
        window = f"{days} d left" if days >= 0 else f"{-days} d overdue"
    return {
        "number": number,
        "anchor": f"finding-{number}",
        "finding": finding,
        "where": where(primary_location(finding)),
        "proof": status.value if status is not None else "not proved",
        "confirmed": is_confirmed(finding),
        "remedy": remedy,
        "verified": has_verified_patch(finding),
        "kev": in_kev(finding),
        "deadline": deadline,
        "window": window,
        "diff": [_diff_line(line) for line in patch.diff.splitlines()] if patch is not None else [],
    }


def _diff_line(line: str) -> tuple[str, str]:
    """A diff line and the class that colours it."""
    if line.startswith(("+++", "---")):
        return "file", line
    if line.startswith("@@"):
        return "hunk", line
    if line.startswith("+"):
        return "add", line
    if line.startswith("-"):
        return "del", line
    return "ctx", line


@functools.cache
def _environment() -> Environment:
    from jinja2 import Environment, PackageLoader, StrictUndefined

    return Environment(
        loader=PackageLoader("firstpatch.report", _TEMPLATES),
        # Everything printed is escaped unless it is our own style or script, marked as such.
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


@functools.cache
def _asset(name: str) -> _Asset:
    text = resources.files("firstpatch.report").joinpath(_TEMPLATES, name).read_text(encoding="utf-8")
    digest = base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii")
    return _Asset(text, f"'sha256-{digest}'")
