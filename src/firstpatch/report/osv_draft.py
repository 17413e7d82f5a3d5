"""`--format osv-draft`: an OSV advisory draft for each confirmed zero-day, for disclosure.

A code finding that the prover confirmed is a vulnerability nobody has reported yet. The draft
is what a maintainer (or an advisory database) needs to publish it: a summary, details with the
source-to-sink trace, the scanned package as the affected one, and, under `database_specific`,
the reproducer, the patch diff and the CWE ids. It is a draft: the id is in OSV's private `x_`
space and nothing is marked published; a person reviews it before it is sent to anyone.

One draft is a JSON object, several a JSON list; `write_drafts` puts one file per draft into a
folder instead.
"""

from __future__ import annotations

import json
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from firstpatch.model import Finding, FindingKind, ProofStatus, Run
from firstpatch.report.interface import Reporter, ReportError
from firstpatch.report.project import ScannedPackage, scanned_package
from firstpatch.report.summary import where

OSV_SCHEMA_VERSION = "1.6.0"
ID_PREFIX = "x_FIRSTPATCH-DRAFT-"
_SEVERITY = {"critical": "CRITICAL", "high": "HIGH", "medium": "MODERATE", "low": "LOW", "none": "LOW"}


class OsvDraftReporter(Reporter):
    format = "osv-draft"

    def __init__(self, package: ScannedPackage | None = None) -> None:
        """`package` names the affected package; None reads the target's pyproject.toml."""
        self._package = package

    def drafts(self, run: Run) -> list[dict[str, Any]]:
        """One OSV record per confirmed code finding, in run order."""
        package = self._package or scanned_package(run.target)
        return [_draft(finding, run, package) for finding in run.findings if is_disclosable(finding)]

    def render(self, run: Run) -> str:
        drafts = self.drafts(run)
        document: object = drafts[0] if len(drafts) == 1 else drafts
        return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def is_disclosable(finding: Finding) -> bool:
    """A code finding the prover confirmed: a vulnerability with a reproducer, not a suspicion."""
    return (
        finding.kind is FindingKind.CODE
        and finding.evidence is not None
        and finding.evidence.status is ProofStatus.CONFIRMED
    )


def write_drafts(run: Run, folder: Path, reporter: OsvDraftReporter | None = None) -> list[Path]:
    """Write each draft to `folder/<id>.json`, each file atomically; the paths written, in order."""
    drafts = (reporter or OsvDraftReporter()).drafts(run)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ReportError(f"{folder}: cannot create the folder: {exc.strerror}") from exc
    written = []
    for draft in drafts:
        path = folder / f"{draft['id']}.json"
        text = json.dumps(draft, indent=2, ensure_ascii=False) + "\n"
        try:
            with tempfile.NamedTemporaryFile(
                "w", encoding="utf-8", dir=folder, delete=False, suffix=".tmp"
            ) as out:
                out.write(text)
            Path(out.name).replace(path)
        except OSError as exc:
            raise ReportError(f"{path}: cannot write: {exc.strerror}") from exc
        written.append(path)
    return written


def _draft(finding: Finding, run: Run, package: ScannedPackage) -> dict[str, Any]:
    affected_package: dict[str, str] = {"ecosystem": package.ecosystem.value, "name": package.name}
    if package.purl:
        affected_package["purl"] = package.purl
    affected: dict[str, Any] = {"package": affected_package}
    if package.version:
        affected["versions"] = [package.version]
    else:
        # No version to name: every version is affected until the maintainer says otherwise.
        affected["ranges"] = [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}]}]
    affected["database_specific"] = {"source": f"name and version from {package.source}"}
    record: dict[str, Any] = {
        "schema_version": OSV_SCHEMA_VERSION,
        # The fingerprint keeps the id the same across runs while the code stays the same.
        "id": ID_PREFIX + finding.fingerprint[:16].upper(),
        "modified": _timestamp(run.finished),
        "summary": _summary(finding, package),
        "details": _details(finding),
        "affected": [affected],
        "credits": [{"name": f"firstpatch {run.tool_version}", "type": "TOOL"}],
        "database_specific": _database_specific(finding),
    }
    return record


def _summary(finding: Finding, package: ScannedPackage) -> str:
    # OSV asks for a one-line summary of about 120 characters at most.
    text = f"{finding.title} in {package.name}"
    return text if len(text) <= 120 else text[:119].rstrip() + "…"


def _details(finding: Finding) -> str:
    lines = [finding.message or finding.title, ""]
    cwe = f" (CWE-{finding.cwe})" if finding.cwe is not None else ""
    lines.append(f"The weakness{cwe} is at `{where(finding.location)}`.")
    entry = finding.entry_point
    if entry is not None:
        route = f"{' '.join(entry.methods)} {entry.route}".strip()
        parameter = ""
        if entry.input_kind is not None and entry.parameter:
            parameter = f" through the {entry.input_kind.value} parameter `{entry.parameter}`"
        lines.append(
            f"It is reached from `{route}` ({entry.framework} handler `{entry.function}`){parameter}."
        )
    if finding.trace:
        lines += ["", "How untrusted input reaches it:", ""]
        for index, step in enumerate(finding.trace, 1):
            snippet = f": `{step.location.snippet}`" if step.location.snippet else ""
            lines.append(
                f"{index}. {step.kind.value} at `{where(step.location)}` — {step.description}{snippet}"
            )
    evidence = finding.evidence
    if evidence is not None:
        lines += ["", f"Confirmed by running the reproducer in a sandbox: {evidence.reason}."]
    if finding.patch is not None:
        lines.append(
            f"A {finding.patch.status.value} patch is attached: {finding.patch.description.rstrip('.')}."
        )
    lines += ["", "The reproducer and the patch are under `database_specific`."]
    return "\n".join(lines)


def _database_specific(finding: Finding) -> dict[str, Any]:
    data: dict[str, Any] = {
        "cwe_ids": [f"CWE-{finding.cwe}"] if finding.cwe is not None else [],
        "severity": _SEVERITY[finding.severity.value],
        "status": "draft",
        "rule_id": finding.rule_id,
        "fingerprint": finding.fingerprint,
        "location": {"path": finding.location.path, "line": finding.location.line},
    }
    evidence = finding.evidence
    if evidence is not None:
        if evidence.event is not None:
            data["oracle"] = {"name": evidence.event.oracle, "detail": evidence.event.detail}
        if evidence.reproducer is not None:
            data["reproducer"] = evidence.reproducer
        if evidence.request is not None:
            data["request"] = evidence.request
    patch = finding.patch
    if patch is not None:
        data["patch"] = {
            "status": patch.status.value,
            "description": patch.description,
            "diff": patch.diff,
            "checks": [{"name": c.name, "passed": c.passed, "detail": c.detail} for c in patch.checks],
        }
    return data


def _timestamp(moment: datetime) -> str:
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return aware.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
