"""`--format junit`: JUnit XML, the test report every CI system reads.

One test suite per kind of result: code findings and dependency findings, each a failing test
case, and the inputs the scan skipped, each a skipped test case. A run with nothing to report
has one passing case, so that a CI system that refuses an empty report still shows the scan.
The shape is the common one (Ant's, which Jenkins, GitLab, Azure DevOps and GitHub actions that
publish test results read): `testsuites` > `testsuite` > `testcase` with `failure` or `skipped`.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import PurePath

from firstpatch.model import Finding, FindingKind, Run, Skipped
from firstpatch.report.interface import Reporter
from firstpatch.report.summary import by_risk, in_kev, primary_location, where

# XML 1.0 cannot carry most control characters, not even as character references.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


class JunitReporter(Reporter):
    format = "junit"

    def render(self, run: Run) -> str:
        findings = by_risk(run.findings)
        code = [f for f in findings if f.kind is FindingKind.CODE]
        dependencies = [f for f in findings if f.kind is FindingKind.DEPENDENCY]
        seconds = max((run.finished - run.started).total_seconds(), 0.0)
        suites = ET.Element("testsuites", name="firstpatch")
        started = _timestamp(run.started)
        built = [
            _finding_suite("firstpatch.code", code, started),
            _finding_suite("firstpatch.dependencies", dependencies, started),
            _skipped_suite(run.skipped, started),
        ]
        if not run.findings and not run.skipped:
            built.append(_clean_suite(run, started))
        for index, suite in enumerate(s for s in built if len(s)):
            suite.set("id", str(index))
            suites.append(suite)
        _set_counts(suites, list(suites))
        # The run's wall time belongs to the whole report; per-case times are not measured.
        suites.set("time", f"{seconds:.3f}")
        ET.indent(suites)
        return ET.tostring(suites, encoding="unicode", xml_declaration=True) + "\n"


def _finding_suite(name: str, findings: Sequence[Finding], timestamp: str) -> ET.Element:
    suite = _suite(name, timestamp)
    for finding in findings:
        place = primary_location(finding)
        location = where(place)
        case = ET.SubElement(
            suite,
            "testcase",
            name=_xml(f"{finding.rule_id} at {location}"),
            classname=_xml(f"{name}.{finding.rule_id}"),
            file=_xml(place.path),
            time="0",
        )
        if place.line:
            case.set("line", str(place.line))
        failure = ET.SubElement(
            case,
            "failure",
            message=_xml(f"{finding.severity.value}{' (KEV)' if in_kev(finding) else ''}: {finding.title}"),
            type=finding.severity.value,
        )
        failure.text = _xml(_failure_text(finding, location))
    _set_counts(suite, [suite])
    return suite


def _skipped_suite(skipped: Sequence[Skipped], timestamp: str) -> ET.Element:
    suite = _suite("firstpatch.inputs", timestamp)
    for item in skipped:
        place = f"{item.path}:{item.line}" if item.line else item.path
        case = ET.SubElement(
            suite, "testcase", name=_xml(place or "(no file)"), classname="firstpatch.inputs", time="0"
        )
        ET.SubElement(case, "skipped", message=_xml(item.reason))
    _set_counts(suite, [suite])
    return suite


def _clean_suite(run: Run, timestamp: str) -> ET.Element:
    suite = _suite("firstpatch.scan", timestamp)
    target = PurePath(run.target).name or run.target
    stages = ", ".join(run.stages) or "no stage"
    ET.SubElement(
        suite,
        "testcase",
        name=_xml(f"{target}: no findings ({stages})"),
        classname="firstpatch.scan",
        time="0",
    )
    _set_counts(suite, [suite])
    return suite


def _suite(name: str, timestamp: str) -> ET.Element:
    return ET.Element("testsuite", name=name, timestamp=timestamp)


def _set_counts(element: ET.Element, suites: Sequence[ET.Element]) -> None:
    cases = [case for suite in suites for case in suite.iter("testcase")]
    element.set("tests", str(len(cases)))
    element.set("failures", str(sum(1 for c in cases if c.find("failure") is not None)))
    element.set("errors", "0")
    element.set("skipped", str(sum(1 for c in cases if c.find("skipped") is not None)))
    if element.tag == "testsuite":
        element.set("time", "0")


def _failure_text(finding: Finding, location: str) -> str:
    lines = [f"{finding.title} ({finding.severity.value}, risk {finding.risk:.1f})", f"at {location}"]
    if finding.cwe is not None:
        lines.append(f"CWE-{finding.cwe}")
    if finding.message:
        lines += ["", finding.message]
    if finding.component is not None:
        fix = f"; upgrade to {finding.fix_version}" if finding.fix_version else "; no fixed version"
        lines += ["", f"package {finding.component.purl}{fix}"]
    if finding.advisory_ids:
        lines.append("advisories: " + ", ".join((*finding.advisory_ids, *finding.aliases)))
    if finding.trace:
        lines += ["", "trace:"]
        lines += [f"  {step.kind.value} {where(step.location)}: {step.description}" for step in finding.trace]
    if finding.evidence is not None:
        lines += ["", f"proof: {finding.evidence.status.value}: {finding.evidence.reason}"]
        if finding.evidence.request:
            lines.append(f"request: {finding.evidence.request}")
    if finding.patch is not None:
        lines += [
            "",
            f"patch ({finding.patch.status.value}): {finding.patch.description}",
            finding.patch.diff,
        ]
    return "\n".join(lines).rstrip("\n")


def _xml(text: str) -> str:
    """Target text with the characters XML 1.0 cannot hold shown as escapes."""
    return _NOT_XML.sub(lambda m: f"\\u{ord(m.group(0)):04x}", text)


def _timestamp(moment: datetime) -> str:
    # Ant's schema wants an ISO 8601 time without a zone; the report says UTC by using it.
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return aware.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="seconds")
