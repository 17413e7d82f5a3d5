"""The pattern rules against every annotated fixture project, on their own.

`test_inline_expectations` runs the whole analyser over the same folders; this test runs only
`pattern_findings`, so a pattern rule's miss or false positive shows here by itself, and the
pattern rules stay quiet on the taint fixtures (every line they flag there must be annotated).
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from firstpatch.analysis.parsing import ParsedModule, parse_module
from firstpatch.analysis.patterns import PATTERN_RULES, pattern_findings
from firstpatch.analysis.program import Module, module_name

FIXTURES = Path(__file__).parent.parent / "fixtures" / "analysis"
PATTERN_IDS = frozenset(rule.id for rule in PATTERN_RULES)
MARK = re.compile(r"#\s*(ruleid|ok|todoruleid|todook):\s*([\w/.-]+)")

Expected = dict[str, set[tuple[str, int, str]]]


def annotations(root: Path) -> Expected:
    """(path, line, rule) per kind, for pattern rules; a mark applies to the next code line."""
    found: Expected = {kind: set() for kind in ("ruleid", "ok", "todoruleid", "todook")}
    for path in sorted(root.rglob("*.py")):
        lines = path.read_text("utf-8").splitlines()
        for number, text in enumerate(lines, start=1):
            mark = MARK.search(text)
            if mark is None or mark.group(2) not in PATTERN_IDS:
                continue
            line = number + 1
            while line <= len(lines) and lines[line - 1].lstrip().startswith("#"):
                line += 1
            found[mark.group(1)].add((path.relative_to(root).as_posix(), line, mark.group(2)))
    return found


def modules(root: Path) -> list[Module]:
    loaded = []
    for path in sorted(root.rglob("*.py")):
        relative = path.relative_to(root).as_posix()
        parsed = parse_module(path.read_text("utf-8"), relative)
        assert isinstance(parsed, ParsedModule), parsed
        name, is_package = module_name(relative)
        loaded.append(Module(name, relative, parsed.tree, parsed.lines, is_package=is_package))
    return loaded


@pytest.mark.parametrize("project", sorted(p.name for p in FIXTURES.iterdir() if p.is_dir()))
def test_pattern_rules_match_annotations(project: str) -> None:
    root = FIXTURES / project
    expected = annotations(root)
    reported = {(f.location.path, f.location.line, f.rule_id) for f in pattern_findings(modules(root))}
    assert not expected["ruleid"] - reported, f"missed: {sorted(expected['ruleid'] - reported)}"
    assert not reported & expected["ok"], f"reported where marked ok: {sorted(reported & expected['ok'])}"
    assert not expected["todoruleid"] & reported, "now found: turn todoruleid into ruleid"
    assert not expected["todook"] - reported, "no longer reported: turn todook into ok"
    unannotated = reported - expected["ruleid"] - expected["todook"]
    assert not unannotated, f"reported without an annotation: {sorted(unannotated)}"


def test_every_pattern_rule_has_eight_cases_each_way() -> None:
    positives: Counter[str] = Counter()
    negatives: Counter[str] = Counter()
    for project in FIXTURES.glob("patterns_*"):
        expected = annotations(project)
        positives.update(rule for _, _, rule in expected["ruleid"])
        negatives.update(rule for _, _, rule in expected["ok"])
    for rule in PATTERN_IDS:
        assert positives[rule] >= 8, f"{rule}: {positives[rule]} positive cases"
        assert negatives[rule] >= 8, f"{rule}: {negatives[rule]} negative cases"
