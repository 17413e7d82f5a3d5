"""Runs for the dashboard tests: real model objects, saved through the store's public API.

Two projects. `shop` has three runs: its first finds a command injection (proved and patched,
with `<script>` in its code, title, trace and reproducer), a dependency in CISA KEV and a SQL
injection; its second misses the SQL injection (fixed); its third finds a path injection.
`blog` has one run with one low finding.
"""

from __future__ import annotations

import dataclasses
import re
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
from firstpatch.store import Store

SHOP = "/srv/checkouts/shop"
BLOG = "/srv/checkouts/blog"
STAGES = ("inventory", "advisories", "analysis", "prove", "patch", "rank")
# Target-supplied text that must stay text: were it markup, it would set window.pwned.
HOSTILE = '<script>window.pwned = 1</script><img src=x onerror="window.pwned = 2">'
NOW = datetime.now(UTC).replace(microsecond=0)

_SINK = f"os.system('ping ' + host)  # {HOSTILE}"
COMMAND = Finding(
    kind=FindingKind.CODE,
    rule_id=RuleId("py/command-injection"),
    title=f"Command built from untrusted input {HOSTILE}",
    severity=Severity.CRITICAL,
    confidence=Confidence.HIGH,
    location=Location("app.py", 21, 5, 21, 40, _SINK),
    fingerprint=fingerprint("py/command-injection", "app.py", _SINK),
    cwe=78,
    message=f"untrusted input reaches a shell: {HOSTILE}",
    trace=(
        Step(
            StepKind.SOURCE, Location("app.py", 19, 12, 19, 40, "request.args.get('host')"), "query parameter"
        ),
        Step(StepKind.SINK, Location("app.py", 21, 5, 21, 40, _SINK), f"shell command {HOSTILE}"),
    ),
    entry_point=EntryPoint(
        "flask", "app.ping", Location("app.py", 17), "/ping", ("GET",), InputKind.QUERY, "host"
    ),
    evidence=Evidence(
        ProofStatus.CONFIRMED,
        "a second command ran after ';'",
        OracleEvent("audit:os.system", "ping ;fpe15f8"),
        f"import requests\n# {HOSTILE}\n"
        "requests.get('http://127.0.0.1:5000/ping', params={'host': ';id'})\n",
        "curl 'http://127.0.0.1:5000/ping?host=%3Bid'",
    ),
    patch=Patch(
        "--- a/app.py\n+++ b/app.py\n@@ -21 +21 @@\n-    os.system('ping ' + host)\n"
        "+    subprocess.run(['ping', host], check=False)\n",
        ("app.py",),
        PatchStatus.VERIFIED,
        "run ping without a shell",
        (Check("reproducer", True, "no second command"), Check("rescan", True)),
    ),
    risk=9.6,
)
YAML = Component("pkg:pypi/pyyaml@5.3", "pyyaml", "5.3", Ecosystem.PYPI, (Location("requirements.txt", 3),))
DEPENDENCY = Finding(
    kind=FindingKind.DEPENDENCY,
    rule_id=RuleId("PYSEC-2021-142"),
    title="PyYAML FullLoader runs code",
    severity=Severity.HIGH,
    confidence=Confidence.HIGH,
    location=Location("requirements.txt", 3),
    fingerprint=fingerprint("PYSEC-2021-142", "requirements.txt", "pyyaml"),
    component=YAML,
    advisory_ids=(AdvisoryId("PYSEC-2021-142"),),
    aliases=("CVE-2020-14343",),
    fix_version="5.4",
    exploitation=Exploitation(in_kev=True, epss=0.41),
    risk=8.5,
)
_QUERY = "cursor.execute(query)"
SQL = Finding(
    kind=FindingKind.CODE,
    rule_id=RuleId("py/sql-injection"),
    title="SQL built from untrusted input",
    severity=Severity.MEDIUM,
    confidence=Confidence.MEDIUM,
    location=Location("db.py", 7, 5, 7, 26, _QUERY),
    fingerprint=fingerprint("py/sql-injection", "db.py", _QUERY),
    cwe=89,
    risk=5.5,
)
_OPEN = "open(name)"
PATH = Finding(
    kind=FindingKind.CODE,
    rule_id=RuleId("py/path-injection"),
    title="File path built from untrusted input",
    severity=Severity.LOW,
    confidence=Confidence.MEDIUM,
    location=Location("files.py", 12, 5, 12, 15, _OPEN),
    fingerprint=fingerprint("py/path-injection", "files.py", _OPEN),
    cwe=22,
    risk=3.1,
)
BLOG_FINDING = dataclasses.replace(PATH, title="Blog reads any file", risk=3.0)


def _run(run_id: str, target: str, started: datetime, *findings: Finding) -> Run:
    return Run(
        id=RunId(run_id),
        target=target,
        started=started,
        finished=started + timedelta(seconds=3),
        tool_version="0.1.0",
        findings=findings,
        components=(YAML,),
        skipped=(Skipped("broken.py", f"does not parse {HOSTILE}", 4),),
        stages=STAGES,
    )


SHOP_1 = _run("a1" * 16, SHOP, NOW - timedelta(days=40), COMMAND, DEPENDENCY, SQL)
SHOP_2 = _run("b2" * 16, SHOP, NOW - timedelta(days=10), COMMAND, DEPENDENCY)
SHOP_3 = _run("c3" * 16, SHOP, NOW - timedelta(days=1), COMMAND, DEPENDENCY, PATH)
BLOG_1 = _run("d4" * 16, BLOG, NOW - timedelta(days=5), BLOG_FINDING)


def seed(store: Store) -> None:
    for run in (SHOP_1, SHOP_2, SHOP_3, BLOG_1):
        store.save_run(run, now=run.finished)


def hidden_field(html: str, name: str) -> str:
    """The value of a hidden input in a page, as a browser would submit it."""
    found = re.search(rf'<input type="hidden" name="{re.escape(name)}" value="([^"]*)">', html)
    if found is None:
        raise AssertionError(f"no hidden field {name!r} in the page")
    return found.group(1)
