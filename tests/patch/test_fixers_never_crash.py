"""Every fixer, pointed at every call in the fixtures and the demo as if it were a sink of its
CWE, either declines or returns valid Python: it never raises, whatever code it meets."""

from __future__ import annotations

import ast
import dataclasses
from pathlib import Path

import pytest
from patch_markers import FIXTURES, finding_from_markers

from firstpatch.model import Location
from firstpatch.patch import FIXERS

DEMO = Path(__file__).resolve().parents[2] / "examples" / "vulnerable-flask"
# Inputs only: an expected file is an input with a fix applied, the same code again.
FILES = sorted([*FIXTURES.glob("*.input.py"), *DEMO.rglob("*.py")])
UNIQUE = {id(fixer): (cwe, fixer) for cwe, fixer in FIXERS.items()}.values()  # one CWE per fixer
TEMPLATE = finding_from_markers("m.py", "f()  # sink: 94 f(\n")


def calls(source: str) -> list[Location]:
    lines = source.splitlines()

    def column(line: int, offset: int) -> int:
        return len(lines[line - 1].encode()[:offset].decode()) + 1

    return [
        Location("m.py", node.lineno, column(node.lineno, node.col_offset), node.end_lineno or 0,
                 column(node.end_lineno or 0, node.end_col_offset or 0))
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Call)
    ]  # fmt: skip


@pytest.mark.parametrize("path", FILES, ids=[path.name for path in FILES])
def test_fixers_decline_or_return_valid_python(path: Path) -> None:
    source = path.read_text(encoding="utf-8")
    for location in calls(source):
        for cwe, fixer in UNIQUE:
            finding = dataclasses.replace(TEMPLATE, location=location, cwe=cwe, trace=())
            result = fixer.rewrite(source, finding)
            if result is not None:
                assert result != source
                compile(result, f"{path.name}:{location.line} as CWE-{cwe}", "exec")
