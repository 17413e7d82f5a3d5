"""Findings described by comments in fixture files, the way the analyser would report them.

    x = eval(text)  # sink: 94 eval(
    run(f"ping {host}")  # step: run(

`# sink: <cwe> <text>` marks the sink: on that line, the innermost call whose source starts
with <text> when <text> ends in "(", the assignment statement when it ends in "=", else the
outermost expression starting with <text>.
`# step: <text>` adds a trace step, found the same way, before the sink.
`# expect: no fix -- <why>` says that no fixer may change the file. Positions are taken with
the standard `ast` module, independently of the libcst code under test, and converted to the
finding's convention: 1-based columns counting characters, end exclusive.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

from firstpatch.model import (
    Confidence,
    Finding,
    FindingKind,
    Location,
    RuleId,
    Severity,
    Step,
    StepKind,
    fingerprint,
)

FIXTURES = Path(__file__).parents[1] / "fixtures" / "patch"
_MARKER = re.compile(r"#\s*(?P<kind>sink|step):\s*(?:(?P<cwe>\d+)\s+)?(?P<text>\S.*?)\s*$")
_NO_FIX = re.compile(r"#\s*expect:\s*no fix\s*--\s*(?P<why>.+)$", re.MULTILINE)


@dataclass(frozen=True)
class Case:
    name: str
    source: str
    finding: Finding
    expected: str | None  # None: no fix may apply
    expected_path: Path


def locate(path: str, source: str, line: int, text: str) -> Location:
    lines = source.splitlines()
    # `text(`: the innermost call starting so (the sink call, not a method chained onto it);
    # any other text: the outermost expression (a whole returned f-string or concatenation).
    call = text.endswith("(")
    assignment = text.endswith("=")  # `name =`: the whole assignment statement
    kinds: type[ast.AST] | tuple[type[ast.AST], ...] = (ast.Assign, ast.AugAssign) if assignment else ast.expr
    best: tuple[tuple[int, int], ast.expr | ast.stmt] | None = None
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, kinds) or not isinstance(node, ast.expr | ast.stmt):
            continue
        if node.lineno != line or node.end_lineno is None:
            continue
        if call and not isinstance(node, ast.Call):
            continue
        segment = ast.get_source_segment(source, node) or ""
        if segment.startswith(text):
            size = (node.end_lineno, node.end_col_offset or 0)
            if best is None or (size < best[0] if call else size > best[0]):
                best = (size, node)
    if best is None:
        raise LookupError(f"{path}:{line}: no expression starts with {text!r}")
    node = best[1]
    assert node.end_lineno is not None
    assert node.end_col_offset is not None

    def column(line_number: int, byte_offset: int) -> int:  # ast counts UTF-8 bytes
        return len(lines[line_number - 1].encode()[:byte_offset].decode()) + 1

    return Location(
        path,
        node.lineno,
        column(node.lineno, node.col_offset),
        node.end_lineno,
        column(node.end_lineno, node.end_col_offset),
        ast.get_source_segment(source, node) or "",
    )


def finding_from_markers(path: str, source: str, extra_steps: tuple[Step, ...] = ()) -> Finding:
    sink: Location | None = None
    cwe = 0
    steps: list[Step] = list(extra_steps)
    for number, line in enumerate(source.splitlines(), start=1):
        match = _MARKER.search(line)
        if match is None:
            continue
        where = locate(path, source, number, match["text"])
        if match["kind"] == "sink":
            sink, cwe = where, int(match["cwe"])
        else:
            steps.append(Step(StepKind.CALL, where, "passes the value on"))
    if sink is None:
        raise LookupError(f"{path}: no `# sink:` marker")
    return Finding(
        kind=FindingKind.CODE,
        rule_id=RuleId(f"test/cwe-{cwe}"),
        title="test finding",
        severity=Severity.HIGH,
        confidence=Confidence.HIGH,
        location=sink,
        fingerprint=fingerprint(f"test/cwe-{cwe}", path, sink.snippet),
        cwe=cwe,
        trace=(*steps, Step(StepKind.SINK, sink, "reaches the sink")),
    )


def cases() -> list[Case]:
    found = []
    for input_path in sorted(FIXTURES.glob("*.input.py")):
        name = input_path.name.removesuffix(".input.py")
        source = input_path.read_text(encoding="utf-8")
        expected_path = FIXTURES / f"{name}.expected.py"
        no_fix = _NO_FIX.search(source) is not None
        expected = (
            None if no_fix else (expected_path.read_text(encoding="utf-8") if expected_path.exists() else "")
        )
        found.append(Case(name, source, finding_from_markers(f"{name}.py", source), expected, expected_path))
    return found
