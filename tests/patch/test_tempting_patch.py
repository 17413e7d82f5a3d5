"""A project with its own tests in which the obvious fix breaks a feature: the XSS codemod
escapes the bio, which fixes the finding and fails the test that pins bold markup. The patch is
proposed, the reproducer and the rescan pass, and it is still not verified: the test is named."""

from __future__ import annotations

from pathlib import Path

import pytest

from firstpatch.analysis.engine import TaintAnalyzer
from firstpatch.model import Finding, PatchStatus
from firstpatch.patch import propose, verify
from firstpatch.prove import FlaskDriver
from firstpatch.target import Target

PROJECT = Path(__file__).resolve().parents[1] / "fixtures" / "patch" / "projects" / "tempting"
ANALYZER = TaintAnalyzer()
pytestmark = pytest.mark.slow


def rescan(root: Path) -> tuple[Finding, ...]:
    return ANALYZER.analyze(Target.open(root)).findings


def test_the_tempting_fix_is_not_verified_and_the_broken_test_is_named() -> None:
    (finding,) = rescan(PROJECT)
    assert (finding.cwe, finding.location.path) == (79, "app.py")
    proposed = propose(PROJECT, finding)
    assert proposed is not None
    assert "escape(bio)" in proposed.changes[0].after

    patch = verify(PROJECT, finding, proposed, FlaskDriver(), rescan=rescan)

    checks = {check.name: check for check in patch.checks}
    assert patch.status is PatchStatus.UNVERIFIED
    assert checks["reproducer"].passed, checks["reproducer"]
    assert checks["rescan"].passed, checks["rescan"]
    assert not checks["tests"].passed
    assert (
        checks["tests"].detail == "failing after the patch: tests/test_app.py::test_profile_keeps_bold_markup"
    )
