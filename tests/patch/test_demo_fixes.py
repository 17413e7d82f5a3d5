"""Every fixer on the demo's vulnerable routes, as the analyser reports them: each patch
keeps the demo's own tests passing, and all of them together leave nothing to report."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from firstpatch.analysis.engine import TaintAnalyzer
from firstpatch.model import Finding
from firstpatch.patch import propose
from firstpatch.patch.tree import write_changes
from firstpatch.target import Target

DEMO = Path(__file__).resolve().parents[2] / "examples" / "vulnerable-flask"
ANALYZER = TaintAnalyzer()
# The planted vulnerabilities by CWE and the code at their sink (the demo's README).
PLANTED = {
    (78, "os.system(command)"),
    (89, "connection.execute(query)"),
    (22, "open(os.path.join(FILES_DIR, name))"),
    (94, "eval(value)"),
    (502, "pickle.loads(request.get_data())"),
    (502, "yaml.load(request.get_data(as_text=True), Loader=yaml.Loader)"),
    (79, 'f"<h1>Hello {name}!</h1>"'),
}


def scan(root: Path) -> tuple[Finding, ...]:
    return ANALYZER.analyze(Target.open(root)).findings


FINDINGS = scan(DEMO)


def copy_demo(destination: Path) -> Path:
    shutil.copytree(DEMO, destination, ignore=shutil.ignore_patterns("__pycache__", ".pytest_cache"))
    return destination


def run_demo_tests(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_analyser_reports_every_planted_vulnerability() -> None:
    assert {(f.cwe, f.location.snippet) for f in FINDINGS} == PLANTED


@pytest.mark.parametrize("finding", FINDINGS, ids=[f"cwe{f.cwe}-{f.location.snippet[:24]}" for f in FINDINGS])
def test_each_fix_keeps_the_demo_tests_passing(finding: Finding, tmp_path: Path) -> None:
    copy = copy_demo(tmp_path / "demo")
    proposed = propose(copy, finding)
    assert proposed is not None
    assert proposed.description
    assert proposed.diff.startswith(f"--- a/{finding.location.path}\n")
    write_changes(copy, proposed.changes)
    result = run_demo_tests(copy)
    assert result.returncode == 0, result.stdout + result.stderr
    assert finding.fingerprint not in {f.fingerprint for f in scan(copy)}


def test_all_fixes_together_leave_nothing_to_report(tmp_path: Path) -> None:
    copy = copy_demo(tmp_path / "demo")
    tried = set()
    while pending := [f for f in scan(copy) if f.fingerprint not in tried]:
        finding = pending[0]
        tried.add(finding.fingerprint)
        proposed = propose(copy, finding)
        assert proposed is not None, finding
        write_changes(copy, proposed.changes)
    assert scan(copy) == ()
    assert len(tried) == len(PLANTED)
    result = run_demo_tests(copy)
    assert result.returncode == 0, result.stdout + result.stderr
