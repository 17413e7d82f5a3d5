"""A rescan of only the modules a change can affect gives the whole tree's verdict: on a clinic
app whose hub imports every view, the rescan of a patch to one view (or to the storage helper a
view calls) leaves the other views out, and still says the same as a rescan of everything about
the patched finding and about new findings — for real fixes, a fix that fixes nothing, and a
patch that adds a new vulnerability."""

from __future__ import annotations

from pathlib import Path

import pytest

from firstpatch.analysis.engine import TaintAnalyzer
from firstpatch.model import Check, Finding
from firstpatch.patch import FileChange, propose
from firstpatch.patch import checks as checks_module
from firstpatch.patch.checks import known_findings, rescan_check, rescan_scope, scan
from firstpatch.patch.graph import ModuleGraph
from firstpatch.patch.tree import copy_tree, tree_state, write_changes
from firstpatch.target import Target

ANALYZER = TaintAnalyzer()
CLINIC = {
    "app.py": (
        "from flask import Flask\n\nfrom views import records, reports\n\n"
        "app = Flask(__name__)\nrecords.init(app)\nreports.init(app)\n"
    ),
    "views/__init__.py": "",
    "views/records.py": (
        "from flask import request\n\nfrom lib.text import title\nfrom storage import files\n\n\n"
        "def init(app):\n"
        "    @app.route('/record')\n    def record():\n        return files.read(request.args['name'])\n\n"
        "    @app.route('/note')\n    def note():\n        text = request.args.get('text', '')\n"
        "        return f'<h1>{title(text)}</h1>'\n"
    ),
    "views/reports.py": (
        "import os\n\nfrom flask import request\n\n\n"
        "def init(app):\n    @app.route('/report')\n    def report():\n"
        "        return {'status': os.system('make-report ' + request.args['kind'])}\n"
    ),
    "storage/__init__.py": "",
    "storage/files.py": (
        "import os\n\nBASE = '/srv/records'\n\n\n"
        "def read(name):\n    return open(os.path.join(BASE, name)).read()\n"
    ),
    "lib/__init__.py": "",
    "lib/text.py": "def title(value):\n    return value.strip().title()\n",
}


def rescan(root: Path) -> tuple[Finding, ...]:
    return ANALYZER.analyze(Target.open(root)).findings


def verdicts(root: Path, finding: Finding, changes: tuple[FileChange, ...], tmp: Path) -> tuple[Check, Check]:
    """The rescan check of the whole tree and of the affected modules, for the same patch."""
    state = tree_state(root)
    patched = copy_tree(root, tmp / f"patched-{len(list(tmp.iterdir()))}")
    write_changes(patched, changes)
    trace = {step.location.path for step in finding.trace} | {finding.location.path}
    scope = ModuleGraph.read(root).affected({change.path for change in changes}, trace)
    full_known, scoped_known = (
        known_findings(rescan, root, state, None),
        known_findings(rescan, root, state, scope),
    )
    full = rescan_check(finding, scan(rescan, patched, None), full_known, changes)
    scoped = rescan_check(finding, scan(rescan, patched, scope), scoped_known, changes)
    return full, scoped


@pytest.fixture
def clinic(tmp_path: Path) -> Path:
    root = tmp_path / "clinic"
    for name, text in CLINIC.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def by_cwe(root: Path) -> dict[int | None, Finding]:
    return {finding.cwe: finding for finding in rescan(root)}


def test_the_scope_leaves_out_what_the_change_cannot_reach(clinic: Path) -> None:
    graph = ModuleGraph.read(clinic)
    assert graph.affected({"views/records.py"}) == {
        "views/records.py", "app.py", "lib/__init__.py", "lib/text.py",
        "storage/__init__.py", "storage/files.py",
    }  # fmt: skip
    assert graph.affected({"storage/files.py"}) == {"storage/files.py", "views/records.py", "app.py"}


def test_real_fixes_get_the_same_verdict(clinic: Path, tmp_path: Path) -> None:
    findings = by_cwe(clinic)
    assert {cwe: f.location.path for cwe, f in findings.items()} == {
        22: "storage/files.py", 78: "views/reports.py", 79: "views/records.py",
    }  # fmt: skip
    for cwe in (22, 78, 79):
        proposed = propose(clinic, findings[cwe])
        assert proposed is not None
        full, scoped = verdicts(clinic, findings[cwe], proposed.changes, tmp_path)
        assert full == scoped
    # 22 is left out here: the analyser does not yet read the realpath/commonpath check as a guard.
    for cwe in (78, 79):
        proposed = propose(clinic, findings[cwe])
        assert proposed is not None
        full, _ = verdicts(clinic, findings[cwe], proposed.changes, tmp_path)
        assert full == Check("rescan", True, "the finding is gone and no new one appeared")


def test_a_fix_that_fixes_nothing_and_a_new_vulnerability_get_the_same_verdict(
    clinic: Path, tmp_path: Path
) -> None:
    finding = by_cwe(clinic)[79]
    before = CLINIC["views/records.py"]
    cosmetic = (FileChange("views/records.py", before, before.replace("return f'", "return  f'")),)
    full, scoped = verdicts(clinic, finding, cosmetic, tmp_path)
    assert full == scoped == Check("rescan", False, "the finding is still reported after the patch")

    fixed = "import html\n" + before.replace("{title(text)}", "{html.escape(title(text))}")
    worse = fixed.replace(
        "    @app.route('/note')",
        "    @app.route('/run')\n    def run():\n        return str(eval(request.args['code']))\n\n"
        "    @app.route('/note')",
    )
    full, scoped = verdicts(clinic, finding, (FileChange("views/records.py", before, worse),), tmp_path)
    assert not full.passed
    assert full == scoped
    assert full.detail.startswith("1 new finding(s) after the patch: ")
    assert "at views/records.py:" in full.detail


def test_verify_scopes_the_rescan_only_on_a_large_tree(clinic: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    finding = by_cwe(clinic)[78]
    state = tree_state(clinic)
    assert rescan_scope(clinic, state, {"views/reports.py"}, [finding]) is None  # 9 modules: analyse all
    monkeypatch.setattr(checks_module, "SCOPED_FROM", 5)
    assert rescan_scope(clinic, state, {"views/reports.py"}, [finding]) == {"views/reports.py", "app.py"}
    # A change whose scope is most of the tree gets the whole tree: a scope would save nothing.
    assert rescan_scope(clinic, state, {"storage/files.py"}, [by_cwe(clinic)[22]]) is None
