"""Every fixer against golden files: `<name>.input.py` → `<name>.expected.py`.

Inputs live in tests/fixtures/patch with their finding written as marker comments (see
patch_markers.py). Set FIRSTPATCH_UPDATE_GOLDEN=1 to write the expected files from the
current output, then read every diff before committing it.
"""

from __future__ import annotations

import os

import libcst as cst
import pytest
from patch_markers import Case, cases

from firstpatch.patch import FIXERS

CASES = cases()
UPDATE = os.environ.get("FIRSTPATCH_UPDATE_GOLDEN") == "1"


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_fixer_output_matches_golden_file(case: Case) -> None:
    assert case.finding.cwe is not None
    result = FIXERS[case.finding.cwe].rewrite(case.source, case.finding)
    if case.expected is None:
        assert result is None, f"{case.name} says no fix applies, but the fixer changed it"
        assert not case.expected_path.exists()
        return
    assert result is not None, f"no fix for {case.name}"
    if UPDATE:
        case.expected_path.write_text(result, encoding="utf-8")
    assert result == case.expected
    cst.parse_module(result)  # still Python
    compile(result, case.expected_path.name, "exec")


def test_every_cwe_has_golden_cases_with_and_without_a_fix() -> None:
    for cwe in FIXERS:
        fixed = [c for c in CASES if c.finding.cwe == cwe and c.expected is not None]
        refused = [c for c in CASES if c.finding.cwe == cwe and c.expected is None]
        assert fixed, f"no golden case fixes CWE-{cwe}"
        assert refused, f"no golden case where CWE-{cwe} has no fix"
