"""How long each reporter takes to render a large run, and how large its output is.

    python benchmarks/report_speed.py [--findings 2000] [--runs 3]

A synthetic run with --findings findings: three code findings in four (each with a four-step
trace; one in ten confirmed, with a reproducer and a verified patch), one dependency finding in
four (one in ten in CISA KEV, one in five unreachable), spread over 200 files and 300 packages.
Each format is rendered --runs times; the median wall-clock and CPU seconds are printed, with
the size of the output. Nothing is written to disk.
"""

from __future__ import annotations

import argparse
import statistics
import time
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
    Step,
    StepKind,
    fingerprint,
)
from firstpatch.report import REPORTERS

SEVERITIES = (Severity.CRITICAL, Severity.HIGH, Severity.MEDIUM, Severity.LOW)
RULES = (
    ("py/command-injection", 78),
    ("py/sql-injection", 89),
    ("py/path-injection", 22),
    ("py/reflected-xss", 79),
)
DIFF = """\
--- a/{path}
+++ b/{path}
@@ -8,3 +8,3 @@
 def run_command(command):
-    return os.system(command)
+    return subprocess.run(command, check=False).returncode

"""


def code_finding(index: int) -> Finding:
    rule, cwe = RULES[index % len(RULES)]
    path = f"app/module_{index % 200}/views.py"
    sink = f"os.system(command_{index})"
    line = 10 + index % 400
    trace = (
        Step(
            StepKind.SOURCE, Location(path, line - 6, 12, line - 6, 40, 'request.args.get("q")'), "query 'q'"
        ),
        Step(
            StepKind.PROPAGATION, Location(path, line - 5, 5, line - 5, 30, 'cmd = "x " + q'), "concatenated"
        ),
        Step(StepKind.CALL, Location(path, line - 4, 5, line - 4, 22, "run_command(cmd)"), "passed on"),
        Step(StepKind.SINK, Location(path, line, 12, line, 30, sink), "runs in a shell"),
    )
    confirmed = index % 10 == 0
    return Finding(
        kind=FindingKind.CODE,
        rule_id=RuleId(rule),
        title="Untrusted input reaches a sink",
        severity=SEVERITIES[index % 4],
        confidence=Confidence.HIGH,
        location=Location(path, line, 12, line, 30, sink),
        fingerprint=fingerprint(rule, path, sink),
        cwe=cwe,
        message=f"Query parameter 'q' reaches the sink in handler_{index}().",
        trace=trace,
        entry_point=EntryPoint(
            "flask",
            f"app.handler_{index}",
            Location(path, line - 8),
            f"/h/{index}",
            ("GET",),
            InputKind.QUERY,
            "q",
        ),
        risk=round(9.9 - (index % 97) / 10, 1),
        evidence=Evidence(
            ProofStatus.CONFIRMED,
            "the marker ran",
            OracleEvent("audit:os.system", "os.system('x; id')"),
            "import requests\nrequests.get('http://127.0.0.1:5000/h', params={'q': 'x; id'})\n",
            "curl 'http://127.0.0.1:5000/h?q=x%3B%20id'",
        )
        if confirmed
        else None,
        patch=Patch(
            DIFF.format(path=path),
            (path,),
            PatchStatus.VERIFIED,
            "no shell",
            (Check("reproducer", True), Check("rescan", True)),
        )
        if confirmed
        else None,
    )


def dependency_finding(index: int, component: Component) -> Finding:
    advisory = f"PYSEC-2024-{index}"
    return Finding(
        kind=FindingKind.DEPENDENCY,
        rule_id=RuleId(advisory),
        title=f"{component.name} has a vulnerability",
        severity=SEVERITIES[index % 4],
        confidence=Confidence.HIGH,
        location=Location("requirements.txt"),
        fingerprint=fingerprint(advisory, "requirements.txt", component.name),
        cwe=20,
        component=component,
        advisory_ids=(AdvisoryId(advisory),),
        aliases=(f"CVE-2024-{10000 + index}",),
        fix_version="99.0",
        cvss_score=7.5,
        cvss_vector="CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H",
        exploitation=Exploitation(
            in_kev=index % 10 == 0, kev_due_date="2026-12-20" if index % 10 == 0 else None, epss=0.01
        ),
        reachable=False if index % 5 == 0 else None,
        risk=round(8.0 - (index % 50) / 10, 1),
    )


def synthetic_run(size: int) -> Run:
    components = tuple(
        Component(
            f"pkg:pypi/package-{n}@1.{n}",
            f"package-{n}",
            f"1.{n}",
            Ecosystem.PYPI,
            (Location("requirements.txt", n + 1),),
            direct=n % 3 != 0,
        )
        for n in range(300)
    )
    findings = tuple(
        dependency_finding(i, components[i % len(components)]) if i % 4 == 3 else code_finding(i)
        for i in range(size)
    )
    finished = datetime(2026, 12, 1, 12, tzinfo=UTC)
    return Run(
        RunId("bench"),
        "/srv/bench-target",  # never read: no pyproject.toml there names the package
        finished - timedelta(minutes=2),
        finished,
        "0.1.0",
        findings,
        components,
        (),
        ("inventory", "advisories", "analysis", "prove", "patch"),
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--findings", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    run = synthetic_run(args.findings)
    print(f"{args.findings} findings, {len(run.components)} components, median of {args.runs} runs")
    print(f"{'format':<10} {'wall s':>8} {'cpu s':>8} {'output':>10}")
    for name, reporter in REPORTERS.items():
        walls, cpus, size = [], [], 0
        for _ in range(args.runs):
            wall, cpu = time.perf_counter(), time.process_time()
            size = len(reporter.render(run).encode("utf-8"))
            walls.append(time.perf_counter() - wall)
            cpus.append(time.process_time() - cpu)
        wall_s, cpu_s = statistics.median(walls), statistics.median(cpus)
        print(f"{name:<10} {wall_s:8.3f} {cpu_s:8.3f} {size / 1024:8.0f} KiB")


if __name__ == "__main__":
    main()
