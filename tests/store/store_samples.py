"""Findings and runs for the store tests: real model objects, built the way the stages build them."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

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

TARGET = "/srv/checkouts/shop"
T0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
ALL_STAGES = ("inventory", "advisories", "analysis", "prove", "patch", "rank")


def code(rule: str, path: str, line: int, sink: str, **changes: object) -> Finding:
    finding = Finding(
        kind=FindingKind.CODE,
        rule_id=RuleId(rule),
        title=f"{rule} finding",
        severity=Severity.HIGH,
        confidence=Confidence.HIGH,
        location=Location(path, line, 5, line, 5 + len(sink), sink),
        fingerprint=fingerprint(rule, path, sink),
        cwe=78,
        message="untrusted input reaches a shell",
        trace=(
            Step(StepKind.SOURCE, Location(path, line - 1, 1, line - 1, 9, "request"), "query parameter"),
            Step(StepKind.SINK, Location(path, line, 5, line, 5 + len(sink), sink), "shell"),
        ),
        entry_point=EntryPoint(
            "flask", "app.ping", Location(path, 1), "/ping", ("GET", "POST"), InputKind.QUERY, "host"
        ),
    )
    return dataclasses.replace(finding, **changes)  # type: ignore[arg-type]


CONFIRMED = Evidence(
    ProofStatus.CONFIRMED,
    "marker ran",
    OracleEvent("audit:os.system", "os.system('x; id')"),
    "print('reproducer')\n",
    "curl 'http://127.0.0.1:5000/ping?host=x%3Bid'",
    "log line\n",
)
VERIFIED = Patch(
    "--- a/app.py\n+++ b/app.py\n@@ -20 +20 @@\n-    os.system(command)\n+    subprocess.run(command)\n",
    ("app.py",),
    PatchStatus.VERIFIED,
    "no shell",
    (Check("reproducer", True), Check("rescan", True, "gone")),
)
COMPONENT = Component(
    "pkg:pypi/pyyaml@5.3", "pyyaml", "5.3", Ecosystem.PYPI, (Location("requirements.txt", 3),), True, False
)
DEPENDENCY = Finding(
    kind=FindingKind.DEPENDENCY,
    rule_id=RuleId("PYSEC-2021-142"),
    title="PyYAML FullLoader runs code",
    severity=Severity.CRITICAL,
    confidence=Confidence.HIGH,
    location=Location("requirements.txt", 3),
    fingerprint=fingerprint("PYSEC-2021-142", "requirements.txt", "pyyaml"),
    component=COMPONENT,
    advisory_ids=(AdvisoryId("PYSEC-2021-142"),),
    aliases=("CVE-2020-14343",),
    fix_version="5.4",
    exploitation=Exploitation(in_kev=True, epss=0.4),
    risk=8.5,
)
PERSISTS = code(
    "py/command-injection", "app.py", 20, "os.system(command)", evidence=CONFIRMED, patch=VERIFIED, risk=9.4
)
DISAPPEARS = code("py/sql-injection", "db.py", 7, "cursor.execute(query)", severity=Severity.MEDIUM)
APPEARS = code("py/path-injection", "files.py", 12, "open(name)", severity=Severity.LOW)
# The second sighting of PERSISTS: code was added above it, and the proof came out differently.
MOVED = dataclasses.replace(
    PERSISTS,
    location=dataclasses.replace(PERSISTS.location, line=31, end_line=31),
    evidence=Evidence(ProofStatus.UNTESTABLE, "sandbox lacked the database"),
    patch=None,
)


def run(run_id: str, started: datetime, *findings: Finding, target: str = TARGET, **changes: object) -> Run:
    made = Run(
        id=RunId(run_id),
        target=target,
        started=started,
        finished=started + timedelta(seconds=2, microseconds=1234),
        tool_version="0.1.0",
        findings=findings,
        components=(COMPONENT,),
        skipped=(Skipped("broken.py", "does not parse", 4), Skipped("huge.py", "too large")),
        stages=ALL_STAGES,
    )
    return dataclasses.replace(made, **changes)  # type: ignore[arg-type]


RUN_1 = run("run-1", T0, PERSISTS, DISAPPEARS, DEPENDENCY)
RUN_2 = run("run-2", T0 + timedelta(days=1), MOVED, APPEARS, DEPENDENCY)


def day(n: int, hours: int = 0) -> datetime:
    """`n` days (and hours) after T0."""
    return T0 + timedelta(days=n, hours=hours)
