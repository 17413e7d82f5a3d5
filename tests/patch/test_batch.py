"""`verify_all` on a shop whose views live in one module each, with a test per view: the three
patches share one reproducer run, one rescan and one test run; the greeting's tempting fix breaks
its test, which is blamed on it alone (the failing test imports only the greeting's module), so
it is verified again alone and stays unverified, and the two others are verified."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from firstpatch.analysis.engine import TaintAnalyzer
from firstpatch.model import Finding, PatchStatus
from firstpatch.patch import propose
from firstpatch.patch.batch import plan, verify_all
from firstpatch.patch.graph import ModuleGraph
from firstpatch.patch.trial import Candidate
from firstpatch.prove import DRIVERS
from firstpatch.target import Target

SHOP = Path(__file__).resolve().parents[1] / "fixtures" / "patch" / "projects" / "shop"
ANALYZER = TaintAnalyzer()
pytestmark = pytest.mark.slow


def rescan(root: Path) -> tuple[Finding, ...]:
    return ANALYZER.analyze(Target.open(root)).findings


@pytest.fixture
def shop(tmp_path: Path) -> Path:
    return shutil.copytree(SHOP, tmp_path / "shop", ignore=shutil.ignore_patterns("__pycache__"))


def test_patches_to_separate_views_share_their_runs_and_a_broken_test_is_settled_alone(shop: Path) -> None:
    candidates = []
    for finding in rescan(shop):
        proposed = propose(shop, finding)
        assert proposed is not None, finding
        candidates.append(Candidate(finding, proposed))
    assert [c.finding.location.path for c in candidates] == [
        "views/files.py",
        "views/greet.py",
        "views/search.py",
    ]
    assert plan(ModuleGraph.read(shop), candidates) == [[0, 1, 2]]

    files, greet, search = verify_all(shop, candidates, DRIVERS, rescan=rescan)

    checks = {check.name: check for check in greet.checks}
    assert greet.status is PatchStatus.UNVERIFIED
    assert checks["tests"].detail == "failing after the patch: tests/test_greet.py::test_greets_with_markup"
    assert checks["reproducer"].passed
    assert "other patch" not in checks["reproducer"].detail  # verified again alone
    for patch in (files, search):
        checks = {check.name: check for check in patch.checks}
        assert patch.status is PatchStatus.VERIFIED, patch.checks
        assert checks["reproducer"].detail.endswith("(one sandbox run with 2 other patches to other files)")
        assert checks["rescan"].detail == (
            "the finding is gone and no new one appeared (one scan with 2 other patches to other files)"
        )
        assert checks["tests"].detail.startswith("1 failed, 2 passed")
        assert checks["tests"].detail.endswith(
            "(one run with 2 other patches to other files); the new failures"
            " (tests/test_greet.py::test_greets_with_markup)"
            " are in tests that import only other patches' files"
        )
