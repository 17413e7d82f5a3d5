"""The rescan tells a finding the patch uncovered from one it made: `eval(q)` stops the
analyser's flow, so the page the result is pasted into was not reported; `ast.literal_eval(q)`
passes the (still attacker-chosen) value on, and the XSS behind it shows. That finding was
there before the patch and does not fail it; an XSS the patch adds elsewhere does."""

from __future__ import annotations

from pathlib import Path

from firstpatch.analysis.engine import TaintAnalyzer
from firstpatch.model import Finding
from firstpatch.patch import FileChange, propose
from firstpatch.patch.checks import rescan_check
from firstpatch.target import Target

ANALYZER = TaintAnalyzer()
CALC = """from flask import Flask, request

app = Flask(__name__)


@app.route("/calc")
def calc():
    expression = request.args.get("q", "")
    result = eval(expression)
    return f"<p>{result}</p>"
"""


def scan(root: Path) -> tuple[Finding, ...]:
    return ANALYZER.analyze(Target.open(root)).findings


def test_a_flow_the_patched_call_cut_short_is_uncovered_not_new(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(CALC)
    (finding,) = scan(tmp_path)
    assert finding.cwe == 94
    proposed = propose(tmp_path, finding)
    assert proposed is not None
    (tmp_path / "app.py").write_text(proposed.changes[0].after)
    after = scan(tmp_path)
    assert [(f.cwe, f.location.line) for f in after] == [(79, 12)]  # the page, one line down

    check = rescan_check(finding, after, frozenset({finding.fingerprint}), proposed.changes)
    assert check.passed
    assert check.detail == (
        "the finding is gone and no new one appeared; 1 finding(s) the patch uncovered, whose flow ran"
        " into the patched call and stopped there before: py/reflected-xss at app.py:12"
    )

    added = proposed.changes[0].after.replace(
        '    return f"<p>{result}</p>"',
        "    return f\"<p>{result}</p><p>{request.args.get('q')}</p>\"",
    )
    worse = (FileChange("app.py", CALC, added),)
    (tmp_path / "app.py").write_text(added)
    check = rescan_check(finding, scan(tmp_path), frozenset({finding.fingerprint}), worse)
    assert not check.passed, check
    assert check.detail.startswith("1 new finding(s) after the patch: py/reflected-xss at app.py:")
