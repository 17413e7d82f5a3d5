"""`verify` end to end on copies of the demo, with the real Flask prove driver and analyser."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from firstpatch.analysis.engine import TaintAnalyzer
from firstpatch.model import Finding, PatchStatus
from firstpatch.patch import FileChange, ProposedPatch, propose, unified_diff, verify
from firstpatch.prove import FlaskDriver
from firstpatch.target import Target

DEMO = Path(__file__).resolve().parents[2] / "examples" / "vulnerable-flask"
ANALYZER = TaintAnalyzer()
pytestmark = pytest.mark.slow


def rescan(root: Path) -> tuple[Finding, ...]:
    return ANALYZER.analyze(Target.open(root)).findings


FINDINGS = rescan(DEMO)


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    return shutil.copytree(DEMO, tmp_path / "demo", ignore=shutil.ignore_patterns("__pycache__"))


def finding(cwe: int) -> Finding:
    return next(f for f in FINDINGS if f.cwe == cwe)


def hand_patch(root: Path, path: str, old: str, new: str, description: str) -> ProposedPatch:
    """A patch written by hand, as an agent or a person might propose it."""
    before = (root / path).read_text(encoding="utf-8")
    assert old in before
    changes = (FileChange(path, before, before.replace(old, new)),)
    return ProposedPatch(changes, unified_diff(changes), description)


@pytest.mark.parametrize("cwe", sorted({f.cwe for f in FINDINGS if f.cwe is not None}))
def test_each_demo_fix_is_verified(cwe: int, demo: Path) -> None:
    target = finding(cwe)
    proposed = propose(demo, target)
    assert proposed is not None
    before = {p: p.read_bytes() for p in demo.rglob("*") if p.is_file()}

    patch = verify(demo, target, proposed, FlaskDriver(), rescan=rescan)

    assert [check.name for check in patch.checks] == ["reproducer", "rescan", "tests"]
    assert all(check.passed for check in patch.checks), patch.checks
    assert patch.status is PatchStatus.VERIFIED
    assert patch.diff == proposed.diff
    assert patch.files == proposed.files
    assert {p: p.read_bytes() for p in demo.rglob("*") if p.is_file()} == before  # root untouched


def test_a_patch_that_does_not_fix_stays_unverified(demo: Path) -> None:
    target = finding(79)
    cosmetic = hand_patch(
        demo,
        "app.py",
        'return f"<h1>Hello {name}!</h1>"',
        'return f"<h1>Hello {name}!</h1>"  # greet',
        "Comment",
    )
    patch = verify(demo, target, cosmetic, FlaskDriver(), rescan=rescan)
    checks = {check.name: check for check in patch.checks}
    assert patch.status is PatchStatus.UNVERIFIED
    assert not checks["reproducer"].passed
    assert checks["reproducer"].detail.startswith("still confirmed after the patch")
    assert not checks["rescan"].passed
    assert checks["rescan"].detail == "the finding is still reported after the patch"
    assert checks["tests"].passed


def test_a_patch_that_breaks_a_test_names_the_test(demo: Path) -> None:
    target = finding(79)
    rude = hand_patch(
        demo,
        "app.py",
        'return f"<h1>Hello {name}!</h1>"',
        'return f"<h1>Go away {escape(name)}!</h1>"',
        "Escape",
    )
    patch = verify(demo, target, rude, FlaskDriver(), rescan=rescan)
    checks = {check.name: check for check in patch.checks}
    assert patch.status is PatchStatus.UNVERIFIED
    assert checks["reproducer"].passed
    assert checks["rescan"].passed
    assert not checks["tests"].passed
    assert checks["tests"].detail == "failing after the patch: tests/test_app.py::test_hello_greets"


def test_without_a_scanner_the_rescan_check_does_not_run(demo: Path) -> None:
    target = finding(94)
    proposed = propose(demo, target)
    assert proposed is not None
    patch = verify(demo, target, proposed, FlaskDriver())
    assert [check.name for check in patch.checks] == ["reproducer", "tests"]
    assert patch.status is PatchStatus.VERIFIED
