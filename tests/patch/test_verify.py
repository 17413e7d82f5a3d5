"""`verify` end to end on a copy of the demo, with the real Flask prove driver and analyser.

Each demo finding is proposed and verified once (module-scoped), and the tests read the
patches; the unpatched tree's scan and test run are computed once by `verify` itself.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from firstpatch.analysis.engine import TaintAnalyzer
from firstpatch.model import Finding, Patch, PatchStatus
from firstpatch.patch import Candidate, FileChange, ProposedPatch, propose, unified_diff, verify, verify_all
from firstpatch.prove import FlaskDriver
from firstpatch.target import Target

DEMO = Path(__file__).resolve().parents[2] / "examples" / "vulnerable-flask"
ANALYZER = TaintAnalyzer()
pytestmark = pytest.mark.slow


def rescan(root: Path) -> tuple[Finding, ...]:
    return ANALYZER.analyze(Target.open(root)).findings


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    copy = tmp_path_factory.mktemp("verify") / "demo"
    return shutil.copytree(DEMO, copy, ignore=shutil.ignore_patterns("__pycache__", ".pytest_cache"))


@pytest.fixture(scope="module")
def findings(demo: Path) -> tuple[Finding, ...]:
    return rescan(demo)


@pytest.fixture(scope="module")
def verified(demo: Path, findings: tuple[Finding, ...]) -> dict[str, tuple[ProposedPatch, Patch]]:
    """Every demo finding's proposed patch and its verification, by fingerprint (all in one
    `verify_all`: the demo's findings share app.py, so each is verified on its own copy)."""
    before = {p: p.read_bytes() for p in demo.rglob("*") if p.is_file()}
    candidates = []
    for finding in findings:
        proposed = propose(demo, finding)
        assert proposed is not None, finding
        candidates.append(Candidate(finding, proposed))
    patches = verify_all(demo, candidates, {"flask": FlaskDriver()}, rescan=rescan)
    assert {p: p.read_bytes() for p in demo.rglob("*") if p.is_file()} == before  # root untouched
    return {c.finding.fingerprint: (c.proposed, patch) for c, patch in zip(candidates, patches, strict=True)}


def finding_of(findings: tuple[Finding, ...], cwe: int) -> Finding:
    return next(f for f in findings if f.cwe == cwe)


def hand_patch(root: Path, path: str, old: str, new: str, description: str) -> ProposedPatch:
    """A patch written by hand, as an agent or a person might propose it."""
    before = (root / path).read_text(encoding="utf-8")
    assert old in before
    changes = (FileChange(path, before, before.replace(old, new)),)
    return ProposedPatch(changes, unified_diff(changes), description)


def test_each_demo_fix_is_verified(
    findings: tuple[Finding, ...], verified: dict[str, tuple[ProposedPatch, Patch]]
) -> None:
    assert {f.cwe for f in findings} == {22, 78, 79, 89, 94, 502}
    for finding in findings:
        proposed, patch = verified[finding.fingerprint]
        assert [check.name for check in patch.checks] == ["reproducer", "rescan", "tests"], finding
        assert all(check.passed for check in patch.checks), (finding.location, patch.checks)
        assert patch.status is PatchStatus.VERIFIED
        assert (patch.diff, patch.files) == (proposed.diff, proposed.files)
        assert "(sandbox: network: " in patch.checks[2].detail


def test_a_patch_that_does_not_fix_stays_unverified(demo: Path, findings: tuple[Finding, ...]) -> None:
    target = finding_of(findings, 79)
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


def test_a_patch_that_breaks_a_test_names_the_test(demo: Path, findings: tuple[Finding, ...]) -> None:
    target = finding_of(findings, 79)
    rude = hand_patch(
        demo,
        "app.py",
        'return f"<h1>Hello {name}!</h1>"',
        'return f"<h1>Go away {escape(name)}!</h1>"',
        "Escape",
    )
    patch = verify(demo, target, rude, FlaskDriver())
    checks = {check.name: check for check in patch.checks}
    assert patch.status is PatchStatus.UNVERIFIED
    assert [check.name for check in patch.checks] == ["reproducer", "tests"]  # no scanner, no rescan
    assert checks["reproducer"].passed
    assert not checks["tests"].passed
    assert checks["tests"].detail == "failing after the patch: tests/test_app.py::test_hello_greets"
