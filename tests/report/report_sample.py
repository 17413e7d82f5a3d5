"""A run that exercises every field a reporter renders, built from the demo application."""

from __future__ import annotations

import difflib
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import firstpatch
from firstpatch.model import (
    AdvisoryId,
    Check,
    Component,
    Confidence,
    Ecosystem,
    EntryPoint,
    Evidence,
    Exploitation,
    Finding,
    FindingKind,
    InputKind,
    Location,
    OracleEvent,
    Patch,
    PatchStatus,
    ProofStatus,
    RuleId,
    Run,
    RunId,
    Severity,
    Skipped,
    Step,
    StepKind,
    fingerprint,
)

APP_BEFORE = """\
import os

from flask import Flask, request

app = Flask(__name__)


def run_command(command):
    return os.system(command)


@app.route("/v/ping")
def ping():
    host = request.args.get("host", "localhost")
    status = run_command(f"ping -c 1 {host}")
    return {"status": status}
"""

APP_AFTER = """\
import os
import subprocess

from flask import Flask, request

app = Flask(__name__)


def run_command(command):
    return subprocess.run(command, check=False).returncode


@app.route("/v/ping")
def ping():
    host = request.args.get("host", "localhost")
    status = run_command(["ping", "-c", "1", host])
    return {"status": status}
"""

REPRODUCER = """\
import requests

response = requests.get("http://127.0.0.1:5000/v/ping", params={"host": "x; id"})
print(response.status_code)
"""


def patch_diff() -> str:
    lines = difflib.unified_diff(
        APP_BEFORE.splitlines(keepends=True),
        APP_AFTER.splitlines(keepends=True),
        "a/app.py",
        "b/app.py",
    )
    return "".join(lines)


def _command_injection() -> Finding:
    sink = "os.system(command)"
    source = 'request.args.get("host", "localhost")'
    return Finding(
        kind=FindingKind.CODE,
        rule_id=RuleId("py/command-injection"),
        title="Command built from untrusted input",
        severity=Severity.CRITICAL,
        confidence=Confidence.HIGH,
        location=Location("app.py", 9, 12, 9, 30, sink),
        fingerprint=fingerprint("py/command-injection", "app.py", sink, source),
        cwe=78,
        message="Query parameter 'host' reaches os.system through run_command().",
        trace=(
            Step(StepKind.SOURCE, Location("app.py", 14, 12, 14, 49, source), "query parameter 'host'"),
            Step(
                StepKind.PROPAGATION,
                Location("app.py", 15, 26, 15, 45, 'f"ping -c 1 {host}"'),
                "formatted into a string",
            ),
            Step(
                StepKind.CALL,
                Location("app.py", 15, 14, 15, 46, 'run_command(f"ping -c 1 {host}")'),
                "passed to run_command(command)",
            ),
            Step(StepKind.SINK, Location("app.py", 9, 12, 9, 30, sink), "os.system runs it in a shell"),
        ),
        entry_point=EntryPoint(
            framework="flask",
            function="app.ping",
            location=Location("app.py", 13, 1, 13, 11, "def ping():"),
            route="/v/ping",
            methods=("GET",),
            input_kind=InputKind.QUERY,
            parameter="host",
        ),
        risk=9.6,
        risk_reasons=(
            "critical severity",
            "proved: the payload reached the sink",
            "reachable from GET /v/ping",
        ),
        evidence=Evidence(
            status=ProofStatus.CONFIRMED,
            reason="the payload's marker command ran in a shell",
            event=OracleEvent("audit:os.system", "os.system('ping -c 1 x; id')"),
            reproducer=REPRODUCER,
            request="curl 'http://127.0.0.1:5000/v/ping?host=x%3B%20id'",
            log="audit: os.system('ping -c 1 x; id')\n",
        ),
        patch=Patch(
            diff=patch_diff(),
            files=("app.py",),
            status=PatchStatus.VERIFIED,
            description="Run the command without a shell, as an argument list",
            checks=(
                Check("reproducer", True, "the marker command no longer runs"),
                Check("rescan", True, "py/command-injection no longer reported"),
                Check("tests", True, "3 passed"),
            ),
        ),
    )


def _sql_injection() -> Finding:
    sink = "connection.execute(query)"
    return Finding(
        kind=FindingKind.CODE,
        rule_id=RuleId("py/sql-injection"),
        title="SQL statement built from untrusted input",
        severity=Severity.HIGH,
        confidence=Confidence.MEDIUM,
        location=Location("notes/store.py", 19, 37, 19, 62, sink),
        fingerprint=fingerprint("py/sql-injection", "notes/store.py", sink),
        cwe=89,
        message="Query parameter 'author' is concatenated into SQL text.",
        risk=7.1,
        evidence=Evidence(ProofStatus.UNTESTABLE, "the handler needs a database the sandbox lacks"),
    )


def _reflected_xss() -> Finding:
    sink = 'f"<h1>Hello {name}!</h1>"'
    # A path with a space: SARIF must percent-encode it in the URI.
    return Finding(
        kind=FindingKind.CODE,
        rule_id=RuleId("py/reflected-xss"),
        title="HTML response built from untrusted input",
        severity=Severity.MEDIUM,
        confidence=Confidence.LOW,
        location=Location("legacy views/hello.py", 4, 12, 4, 37, sink),
        fingerprint=fingerprint("py/reflected-xss", "legacy views/hello.py", sink),
        cwe=79,
        risk=4.0,
    )


PYYAML = Component(
    purl="pkg:pypi/pyyaml@5.3",
    name="pyyaml",
    version="5.3",
    ecosystem=Ecosystem.PYPI,
    locations=(Location("requirements.txt", 3, 1, 3, 12, "pyyaml==5.3"),),
)
FLASK = Component(
    purl="pkg:pypi/flask@0.12.2",
    name="flask",
    version="0.12.2",
    ecosystem=Ecosystem.PYPI,
    locations=(Location("requirements.txt", 1, 1, 1, 15, "flask==0.12.2"),),
)

URLLIB3 = Component(
    purl="pkg:pypi/urllib3@1.22",
    name="urllib3",
    version="1.22",
    ecosystem=Ecosystem.PYPI,
    locations=(Location("requirements.txt", 4, 1, 4, 15, "urllib3==1.22"),),
    direct=False,
)


def _pyyaml_advisory() -> Finding:
    # The finding has no line of its own: reporters locate it at the manifest line.
    return Finding(
        kind=FindingKind.DEPENDENCY,
        rule_id=RuleId("PYSEC-2021-142"),
        title="PyYAML full_load and FullLoader construct arbitrary objects",
        severity=Severity.CRITICAL,
        confidence=Confidence.HIGH,
        location=Location("requirements.txt"),
        fingerprint=fingerprint("PYSEC-2021-142", "requirements.txt", "pyyaml"),
        cwe=20,
        message="pyyaml 5.3 is affected by PYSEC-2021-142 (CVE-2020-14343).",
        component=PYYAML,
        advisory_ids=(AdvisoryId("PYSEC-2021-142"),),
        aliases=("CVE-2020-14343", "GHSA-8q59-q68h-6hv4"),
        fix_version="5.4",
        cvss_score=9.8,
        cvss_vector="CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
        # Not in CISA's catalogue in fact: the sample needs one KEV entry with a due date.
        exploitation=Exploitation(in_kev=True, kev_due_date="2026-12-08", epss=0.0291, epss_percentile=0.857),
        reachable=True,
        risk=8.7,
        risk_reasons=("critical severity", "in CISA KEV", "the project imports yaml"),
    )


def _flask_advisory() -> Finding:
    return Finding(
        kind=FindingKind.DEPENDENCY,
        rule_id=RuleId("PYSEC-2019-179"),
        title="Flask JSON decoding can exhaust memory",
        severity=Severity.HIGH,
        confidence=Confidence.HIGH,
        location=Location("requirements.txt", 1, 1, 1, 15, "flask==0.12.2"),
        fingerprint=fingerprint("PYSEC-2019-179", "requirements.txt", "flask"),
        component=FLASK,
        advisory_ids=(AdvisoryId("PYSEC-2019-179"),),
        aliases=("CVE-2019-1010083", "GHSA-5wv5-4vpf-pj6m"),
        fix_version="1.0",
        exploitation=Exploitation(epss=0.0043, epss_percentile=0.62),
        risk=6.5,
        risk_reasons=("high severity",),
    )


def _urllib3_advisory() -> Finding:
    # A transitive dependency the project's own code never imports: VEX says not_affected.
    return Finding(
        kind=FindingKind.DEPENDENCY,
        rule_id=RuleId("PYSEC-2018-32"),
        title="urllib3 keeps the Authorization header on a cross-origin redirect",
        severity=Severity.HIGH,
        confidence=Confidence.HIGH,
        location=Location("requirements.txt"),
        fingerprint=fingerprint("PYSEC-2018-32", "requirements.txt", "urllib3"),
        message="urllib3 1.22 is affected by PYSEC-2018-32 (CVE-2018-20060).",
        component=URLLIB3,
        advisory_ids=(AdvisoryId("PYSEC-2018-32"),),
        aliases=("CVE-2018-20060", "GHSA-www2-v7xj-xrc6"),
        fix_version="1.23",
        reachable=False,
        risk=3.2,
        risk_reasons=("high severity", "urllib3 is not imported by the project's code"),
    )


def sample_run(tmp_path: Path) -> Run:
    """The volatile fields (times, version, absolute target) are real, so masking is tested."""
    started = datetime.now(UTC)
    return Run(
        id=RunId("run-0001"),
        target=str(tmp_path / "vulnerable-flask"),
        started=started,
        finished=started + timedelta(seconds=3, milliseconds=250),
        tool_version=firstpatch.__version__,
        # Deliberately not in risk order: the table sorts, the other formats keep run order.
        findings=(
            _reflected_xss(),
            _pyyaml_advisory(),
            _sql_injection(),
            _command_injection(),
            _flask_advisory(),
            _urllib3_advisory(),
        ),
        components=(FLASK, PYYAML, URLLIB3),
        skipped=(
            Skipped("broken.py", "does not parse: invalid syntax", 3),
            Skipped("vendor/huge.py", "larger than 2048 KiB"),
        ),
        stages=("inventory", "advisories", "analysis", "prove", "rank", "patch"),
    )


def apply_replacements(text: str, replacements: list[dict[str, Any]]) -> str:
    """Apply SARIF replacements (line/column regions, end exclusive) the way a SARIF viewer would."""
    starts = [0] + [index + 1 for index, char in enumerate(text) if char == "\n"]

    def offset(line: int, column: int) -> int:
        return starts[line - 1] + column - 1 if line <= len(starts) else len(text)

    edits = []
    for replacement in replacements:
        region = replacement["deletedRegion"]
        assert isinstance(region, dict)
        start = offset(region["startLine"], region.get("startColumn", 1))
        end = offset(region["endLine"], region["endColumn"])
        inserted = replacement.get("insertedContent", {"text": ""})
        assert isinstance(inserted, dict)
        edits.append((start, end, inserted["text"]))
    for start, end, new in sorted(edits, reverse=True):
        text = text[:start] + new + text[end:]
    return text
