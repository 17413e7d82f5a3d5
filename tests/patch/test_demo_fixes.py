"""Every fixer on the demo's vulnerable routes, as the analyser reports them: the analyser finds
each planted vulnerability, and all fixes together leave nothing to report and the demo's own
tests passing (each fix alone is verified, tests included, in test_verify.py)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

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


def test_all_fixes_together_leave_nothing_to_report(tmp_path: Path) -> None:
    copy = shutil.copytree(
        DEMO, tmp_path / "demo", ignore=shutil.ignore_patterns("__pycache__", ".pytest_cache")
    )
    first = scan(copy)
    assert {(f.cwe, f.location.snippet) for f in first} == PLANTED
    tried = set()
    pending = list(first)
    while pending:
        finding = pending[0]
        tried.add(finding.fingerprint)
        proposed = propose(copy, finding)
        assert proposed is not None, finding
        assert proposed.description
        assert proposed.diff.startswith(f"--- a/{finding.location.path}\n")
        write_changes(copy, proposed.changes)
        pending = [f for f in scan(copy) if f.fingerprint not in tried]
    assert scan(copy) == ()
    assert len(tried) == len(PLANTED)
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"],
        cwd=copy,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={"PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1", "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 0, result.stdout + result.stderr
