"""The analyser against fixture projects annotated with what it must and must not report.

A comment `# ruleid: <rule>` stands above each line that must be flagged, `# ok: <rule>` above
each that must not; `todoruleid` marks a known miss and `todook` a known false positive, so
that fixing either shows up as a test to update.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from firstpatch.analysis.engine import TaintAnalyzer
from firstpatch.target import Target

FIXTURES = Path(__file__).parent.parent / "fixtures" / "analysis"
ANNOTATION = re.compile(r"#\s*(ruleid|ok|todoruleid|todook):\s*([\w/.-]+)")


def _expectations(root: Path) -> dict[str, set[tuple[str, int, str]]]:
    """Expected (path, line, rule) per annotation kind; the annotated line is the next code line."""
    expected: dict[str, set[tuple[str, int, str]]] = {
        k: set() for k in ("ruleid", "ok", "todoruleid", "todook")
    }
    for path in sorted(root.rglob("*.py")):
        lines = path.read_text("utf-8").splitlines()
        for number, text in enumerate(lines, start=1):
            match = ANNOTATION.search(text)
            if match is None:
                continue
            target = number + 1
            while target <= len(lines) and lines[target - 1].strip().startswith("#"):
                target += 1
            expected[match.group(1)].add((path.relative_to(root).as_posix(), target, match.group(2)))
    return expected


@pytest.mark.parametrize("project", sorted(p.name for p in FIXTURES.iterdir() if p.is_dir()))
def test_fixture_project(project: str) -> None:
    root = FIXTURES / project
    expected = _expectations(root)
    assert expected["ruleid"], f"{project} has no positive cases"
    result = TaintAnalyzer().analyze(Target.open(root))
    reported = {(f.location.path, f.location.line, f.rule_id) for f in result.findings}

    missed = expected["ruleid"] - reported
    false_positives = reported & expected["ok"]
    fixed_gaps = expected["todoruleid"] & reported
    fixed_noise = expected["todook"] - reported
    unannotated = reported - expected["ruleid"] - expected["todook"]
    assert not missed, f"missed: {sorted(missed)}"
    assert not false_positives, f"reported where marked ok: {sorted(false_positives)}"
    assert not fixed_gaps, f"now found (turn todoruleid into ruleid): {sorted(fixed_gaps)}"
    assert not fixed_noise, f"no longer reported (turn todook into ok): {sorted(fixed_noise)}"
    assert not unannotated, f"reported without an annotation: {sorted(unannotated)}"
