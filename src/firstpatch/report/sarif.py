"""`--format sarif`: SARIF 2.1.0 in the shape GitHub code scanning ingests.

What GitHub reads (docs.github.com, "SARIF support for code scanning"): one rule per rule id with
`security-severity` (a CVSS-like score that sets the alert's severity), `precision`, tags such as
`external/cwe/cwe-N`, help text and Markdown, descriptions of at most 1024 characters; results
whose URI is relative to the root of the *repository* (so a project in a sub-folder of a
repository gets that folder in front of its paths); `partialFingerprints.primaryLocationLineHash`,
the only fingerprint GitHub matches alerts by; `automationDetails.id` as `category/run-id`; and
embedded links `[text](id)` in a message that point at related locations. What it ignores but
other SARIF viewers show, we fill in too: code flows from the taint trace and fixes from the patch.
"""

from __future__ import annotations

import inspect
import json
import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path, PurePath
from typing import Any
from urllib.parse import quote

from firstpatch.model import (
    Confidence,
    Finding,
    FindingKind,
    Location,
    Patch,
    Run,
    Severity,
    Skipped,
    Step,
    StepKind,
)
from firstpatch.report.interface import Reporter
from firstpatch.report.sarif_fixes import DiffError, parse_unified_diff
from firstpatch.report.summary import primary_location

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://firstpatch.dev/"
FINGERPRINT_KEY = "firstpatch/v1"
# GitHub matches alerts across commits by this key alone; its value is "hash:occurrence".
GITHUB_FINGERPRINT_KEY = "primaryLocationLineHash"
SRCROOT = "%SRCROOT%"
DEFAULT_CATEGORY = "firstpatch"
# GitHub's limits on rule texts; longer ones are cut, not rejected, but cut where GitHub chooses.
_DESCRIPTION_LIMIT = 1024
_NAME_LIMIT = 255
_SEMVER = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$")

# GitHub buckets security-severity as critical >= 9.0, high >= 7.0, medium >= 4.0, low > 0.
_SECURITY_SEVERITY = {
    Severity.CRITICAL: "9.5",
    Severity.HIGH: "8.0",
    Severity.MEDIUM: "5.5",
    Severity.LOW: "3.0",
    Severity.NONE: "0.0",
}
_LEVEL = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "note",
    Severity.NONE: "note",
}
# GitHub's `precision` property orders alerts within a severity.
_PRECISION = {Confidence.HIGH: "high", Confidence.MEDIUM: "medium", Confidence.LOW: "low"}
# threadFlowLocation.kinds from the SARIF spec's list (3.38.8).
_STEP_KINDS = {
    StepKind.SOURCE: ["taint"],
    StepKind.PROPAGATION: ["taint"],
    StepKind.CALL: ["call"],
    StepKind.RETURN: ["return"],
    StepKind.SINK: ["taint", "danger"],
}
_WORD = re.compile(r"[A-Za-z0-9]+")


class SarifReporter(Reporter):
    format = "sarif"

    def __init__(
        self,
        rule_docs: Mapping[str, str] | None = None,
        *,
        category: str = DEFAULT_CATEGORY,
        repository_root: Path | None = None,
    ) -> None:
        """`rule_docs` maps a rule id to its documentation (Markdown) for the rule's help;
        the run itself holds only what each finding says. `category` tells GitHub apart the
        analyses of one commit (two projects of one repository each need their own).
        `repository_root` is the root the paths are made relative to; None looks for the
        `.git` of the repository that holds the target, and uses the target itself when none."""
        self._rule_docs = dict(rule_docs or {})
        self._category = category.strip("/")
        self._repository_root = repository_root

    def render(self, run: Run) -> str:
        return json.dumps(self.log(run), indent=2, ensure_ascii=False) + "\n"

    def log(self, run: Run) -> dict[str, Any]:
        """The SARIF log as JSON values."""
        rule_ids = sorted({finding.rule_id for finding in run.findings})
        rule_index = {rule_id: index for index, rule_id in enumerate(rule_ids)}
        by_rule = {rule_id: [f for f in run.findings if f.rule_id == rule_id] for rule_id in rule_ids}
        root, prefix = _source_root(run.target, self._repository_root)
        uris = _Uris(prefix)
        notifications = [_skipped_notification(skipped, uris) for skipped in run.skipped]
        results = []
        occurrences: dict[str, int] = {}
        for finding in run.findings:
            # Two findings can share a fingerprint (the same sink code twice in one file);
            # GitHub's occurrence suffix keeps them apart, in run order.
            occurrence = occurrences[finding.fingerprint] = occurrences.get(finding.fingerprint, 0) + 1
            result, problem = _result(finding, rule_index[finding.rule_id], occurrence, uris)
            results.append(result)
            if problem is not None:
                notifications.append(problem)
        invocation: dict[str, Any] = {
            "executionSuccessful": True,
            "startTimeUtc": _utc(run.started),
            "endTimeUtc": _utc(run.finished),
        }
        if notifications:
            invocation["toolExecutionNotifications"] = notifications
        driver: dict[str, Any] = {"name": "firstpatch", "version": run.tool_version}
        if _SEMVER.match(run.tool_version):
            driver["semanticVersion"] = run.tool_version
        driver |= {
            "informationUri": INFORMATION_URI,
            "rules": [self._rule(rule_id, by_rule[rule_id]) for rule_id in rule_ids],
        }
        sarif_run: dict[str, Any] = {
            "tool": {"driver": driver},
            "invocations": [invocation],
            # "category/run-id": GitHub keeps one analysis per category and commit.
            "automationDetails": {"id": f"{self._category}/{run.id}"},
        }
        if root is not None:
            sarif_run["originalUriBaseIds"] = {
                SRCROOT: {
                    "uri": _directory_uri(root),
                    "description": {"text": "The root of the repository (or folder) that was scanned."},
                }
            }
        sarif_run |= {
            # Python's string offsets count code points, not the UTF-16 units SARIF assumes.
            "columnKind": "unicodeCodePoints",
            "results": results,
            "properties": {"runId": run.id, "stages": list(run.stages)},
        }
        return {"$schema": SARIF_SCHEMA_URI, "version": SARIF_VERSION, "runs": [sarif_run]}

    def _rule(self, rule_id: str, findings: Sequence[Finding]) -> dict[str, Any]:
        # The worst finding speaks for the rule: its severity is the one GitHub should show.
        lead = max(findings, key=lambda f: f.severity.rank)
        cwe = lead.cwe
        # Rule docs are docstrings: their indentation would make Markdown code blocks of them.
        docs = inspect.cleandoc(self._rule_docs.get(rule_id, ""))
        short = _cut(lead.title or rule_id, _DESCRIPTION_LIMIT)
        # A finding's message describes that one instance; the rule says what the rule finds.
        full = _cut(docs, _DESCRIPTION_LIMIT) or short
        tags = ["security", lead.kind.value]
        properties: dict[str, Any] = {
            "security-severity": _SECURITY_SEVERITY[lead.severity],
            "precision": _PRECISION[lead.confidence],
        }
        if cwe is not None:
            tags.append(f"external/cwe/cwe-{cwe}")
            properties["cwe"] = f"CWE-{cwe}"
        properties["tags"] = tags
        # The help is not cut: GitHub shows it in full beside the alert.
        text, markdown = _help(short, docs or short, cwe, findings)
        rule: dict[str, Any] = {"id": rule_id}
        name = _rule_name(rule_id)[:_NAME_LIMIT]
        if name:
            rule["name"] = name
        rule |= {
            "shortDescription": {"text": short},
            "fullDescription": {"text": full},
            "help": {"text": text, "markdown": markdown},
            "defaultConfiguration": {"level": _LEVEL[lead.severity]},
            "properties": properties,
        }
        # An advisory's own page says more about a vulnerable package than the CWE's does.
        if lead.kind is FindingKind.DEPENDENCY and lead.advisory_ids:
            rule["helpUri"] = _osv_uri(lead.advisory_ids[0])
        elif cwe is not None:
            rule["helpUri"] = _cwe_uri(cwe)
        return rule


def _help(short: str, full: str, cwe: int | None, findings: Sequence[Finding]) -> tuple[str, str]:
    advisories = sorted({a for f in findings for a in f.advisory_ids})
    text = [short] if full == short else [short, "", full]
    markdown = [f"**{_md(short)}**"] if full == short else [f"**{_md(short)}**", "", full]
    if cwe is not None:
        text += ["", f"CWE-{cwe}: {_cwe_uri(cwe)}"]
        markdown += ["", f"- Weakness: [CWE-{cwe}]({_cwe_uri(cwe)})"]
    if advisories:
        text += ["", "Advisories: " + ", ".join(advisories)]
        markdown += ["", "- Advisories: " + ", ".join(f"[{_md(a)}]({_osv_uri(a)})" for a in advisories)]
    return "\n".join(text), "\n".join(markdown)


def _result(
    finding: Finding, rule_index: int, occurrence: int, uris: _Uris
) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """The SARIF result, and a notification when the finding's patch could not be carried over."""
    # Brackets from the target's text would read as embedded links: escaped (SARIF 3.11.6).
    parts = [_link_safe(finding.message or finding.title)]
    entry = finding.entry_point
    if entry is not None:
        route = f" ({', '.join(entry.methods)} {_link_safe(entry.route)})" if entry.route else ""
        parts.append(f"Reached from the [entry point](1){route}.")
    if finding.evidence is not None:
        parts.append(f"Proof: {finding.evidence.status.value}: {_link_safe(finding.evidence.reason)}")
    if finding.kind is FindingKind.DEPENDENCY and finding.fix_version:
        parts.append(f"Fixed in version {_link_safe(finding.fix_version)}.")
    result: dict[str, Any] = {
        "ruleId": finding.rule_id,
        "ruleIndex": rule_index,
        "kind": "fail",
        "level": _LEVEL[finding.severity],
        # SARIF's priority scale is 0-100; ours is 0-10.
        "rank": round(min(max(finding.risk, 0.0), 10.0) * 10, 1),
        "message": {"text": "\n\n".join(parts)},
        "locations": [_location(primary_location(finding), uris)],
        "partialFingerprints": {
            FINGERPRINT_KEY: finding.fingerprint,
            # Our fingerprint is what GitHub's line hash stands for: stable across edits above.
            GITHUB_FINGERPRINT_KEY: f"{finding.fingerprint[:16]}:{occurrence}",
        },
    }
    if finding.trace:
        steps = [_flow_step(step, uris) for step in finding.trace]
        result["codeFlows"] = [{"threadFlows": [{"locations": steps}]}]
    if entry is not None:
        methods = ", ".join(entry.methods)
        route = f" {methods} {entry.route}" if entry.route else ""
        related = _location(entry.location, uris, f"Entry point:{route} ({entry.framework} {entry.function})")
        result["relatedLocations"] = [{"id": 1, **related}]
    problem = None
    if finding.patch is not None:
        try:
            result["fixes"] = [_fix(finding.patch, uris)]
        except DiffError as exc:
            problem = {
                "level": "warning",
                "message": {"text": f"patch for {finding.fingerprint} left out of fixes: {exc}"},
            }
    result["properties"] = _result_properties(finding)
    return result, problem


def _result_properties(finding: Finding) -> dict[str, Any]:
    properties: dict[str, Any] = {
        "kind": finding.kind.value,
        "confidence": finding.confidence.value,
        "severity": finding.severity.value,
        "risk": finding.risk,
    }
    if finding.cwe is not None:
        properties["cwe"] = f"CWE-{finding.cwe}"
    evidence = finding.evidence
    if evidence is not None:
        properties["proofStatus"] = evidence.status.value
        properties["proofReason"] = evidence.reason
        if evidence.event is not None:
            properties["oracleEvent"] = {"oracle": evidence.event.oracle, "detail": evidence.event.detail}
        if evidence.reproducer is not None:
            properties["reproducer"] = evidence.reproducer
        if evidence.request is not None:
            properties["request"] = evidence.request
    if finding.entry_point is not None:
        entry = finding.entry_point
        properties["entryPoint"] = {
            "framework": entry.framework,
            "function": entry.function,
            "route": entry.route,
            "methods": list(entry.methods),
            "inputKind": entry.input_kind.value if entry.input_kind is not None else None,
            "parameter": entry.parameter,
        }
    if finding.component is not None:
        properties["component"] = finding.component.purl
        properties["installedVersion"] = finding.component.version
    if finding.advisory_ids:
        properties["advisoryIds"] = list(finding.advisory_ids)
    if finding.aliases:
        properties["aliases"] = list(finding.aliases)
    if finding.fix_version is not None:
        properties["fixVersion"] = finding.fix_version
    if finding.cvss_score is not None:
        properties["cvssScore"] = finding.cvss_score
    if finding.cvss_vector is not None:
        properties["cvssVector"] = finding.cvss_vector
    exploitation = finding.exploitation
    if exploitation is not None:
        properties["kev"] = exploitation.in_kev
        if exploitation.in_kev:
            properties["kevRansomware"] = exploitation.kev_ransomware
        if exploitation.kev_due_date is not None:
            properties["kevDueDate"] = exploitation.kev_due_date
        if exploitation.epss is not None:
            properties["epss"] = exploitation.epss
        if exploitation.epss_percentile is not None:
            properties["epssPercentile"] = exploitation.epss_percentile
    if finding.reachable is not None:
        properties["reachable"] = finding.reachable
    if finding.risk_reasons:
        properties["riskReasons"] = list(finding.risk_reasons)
    if finding.patch is not None:
        properties["patchStatus"] = finding.patch.status.value
    return properties


def _location(location: Location, uris: _Uris, message: str = "") -> dict[str, Any]:
    physical: dict[str, Any] = {"artifactLocation": uris.artifact(location.path)}
    region = _region(location)
    if region:
        physical["region"] = region
    result: dict[str, Any] = {"physicalLocation": physical}
    if message:
        result["message"] = {"text": message}
    return result


class _Uris:
    """Artifact locations relative to %SRCROOT%, behind the target's folder in the repository."""

    def __init__(self, prefix: str) -> None:
        self._prefix = prefix

    def artifact(self, path: str) -> dict[str, str]:
        # A URI reference: spaces and other reserved characters must be percent-encoded.
        return {"uri": quote(self._prefix + path, safe="/"), "uriBaseId": SRCROOT}


def _source_root(target: str, repository_root: Path | None) -> tuple[str | None, str]:
    """The absolute root URIs are relative to, and the target's folder under it ("" or "a/b/").

    GitHub reads relative paths from the root of the repository; a project scanned in a
    sub-folder names its files from the project root, so the sub-folder goes in front.
    """
    path = PurePath(target)
    if not path.is_absolute():
        return None, ""
    root = repository_root or _enclosing_repository(Path(target))
    if root is None or not path.is_relative_to(root):
        return target, ""
    relative = path.relative_to(root).as_posix()
    return str(root), "" if relative == "." else relative + "/"


def _enclosing_repository(target: Path) -> Path | None:
    """The nearest folder at or above `target` with a `.git` (a folder, or a file in a worktree)."""
    for folder in (target, *target.parents):
        try:
            if (folder / ".git").exists():
                return folder
        except OSError:  # an unreadable parent: no repository we can see
            return None
    return None


def _region(location: Location) -> dict[str, Any]:
    """Our columns are 1-based with an exclusive end, as SARIF's are: copied, not shifted."""
    if location.line <= 0:
        return {}
    region: dict[str, Any] = {"startLine": location.line}
    if location.column > 0:
        region["startColumn"] = location.column
    if location.end_line >= location.line:
        region["endLine"] = location.end_line
    if location.end_column > 0 and (location.end_line >= location.line or location.end_line == 0):
        region["endColumn"] = location.end_column
    if location.snippet:
        region["snippet"] = {"text": location.snippet}
    return region


def _flow_step(step: Step, uris: _Uris) -> dict[str, Any]:
    return {
        "location": _location(step.location, uris, step.description),
        "kinds": _STEP_KINDS[step.kind],
        "properties": {"step": step.kind.value},
    }


def _fix(patch: Patch, uris: _Uris) -> dict[str, Any]:
    changes = []
    for change in parse_unified_diff(patch.diff, patch.files):
        replacements = []
        for item in change.replacements:
            replacement: dict[str, Any] = {
                "deletedRegion": {
                    "startLine": item.start_line,
                    "startColumn": 1,
                    "endLine": item.end_line,
                    "endColumn": item.end_column,
                }
            }
            if item.inserted:
                replacement["insertedContent"] = {"text": item.inserted}
            replacements.append(replacement)
        changes.append({"artifactLocation": uris.artifact(change.path), "replacements": replacements})
    if not changes:
        raise DiffError("the diff changes no file")
    return {
        "description": {"text": f"{patch.description} ({patch.status.value} patch)"},
        "artifactChanges": changes,
    }


def _skipped_notification(skipped: Skipped, uris: _Uris) -> dict[str, Any]:
    notification: dict[str, Any] = {"level": "warning", "message": {"text": skipped.reason}}
    if skipped.path:
        notification["locations"] = [_location(Location(skipped.path, skipped.line), uris)]
    return notification


def _rule_name(rule_id: str) -> str:
    """A PascalCase name from a namespaced id ("py/sql-injection" → "SqlInjection"); none for
    an id that is not namespaced, such as an advisory id, which no name would improve on."""
    if "/" not in rule_id:
        return ""
    last = rule_id.rsplit("/", 1)[-1]
    return "".join(word[:1].upper() + word[1:] for word in _WORD.findall(last))


def _osv_uri(advisory: str) -> str:
    return f"https://osv.dev/vulnerability/{quote(advisory)}"


def _cwe_uri(cwe: int) -> str:
    return f"https://cwe.mitre.org/data/definitions/{cwe}.html"


def _md(text: str) -> str:
    """Escape the characters that Markdown reads as inline formatting."""
    return re.sub(r"([\\`*_\[\]<>])", r"\\\1", text)


def _link_safe(text: str) -> str:
    """Plain message text with the characters of SARIF's embedded-link syntax escaped."""
    return re.sub(r"([\\\[\]])", r"\\\1", text)


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _utc(moment: datetime) -> str:
    # Naive datetimes are taken as UTC: SARIF wants every time in UTC with a "Z".
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return aware.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _directory_uri(target: str) -> str:
    uri = PurePath(target).as_uri()
    return uri if uri.endswith("/") else uri + "/"
