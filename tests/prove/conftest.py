"""Shared helpers for the prove tests: copies of fixture trees and findings built by hand."""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from firstpatch.model import (
    Confidence,
    EntryPoint,
    Finding,
    FindingKind,
    Fingerprint,
    InputKind,
    Location,
    RuleId,
    Severity,
)

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "examples" / "vulnerable-flask"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
RULES = {22: "py/path-injection", 78: "py/command-injection", 79: "py/reflected-xss", 89: "py/sql-injection"}
RULES |= {94: "py/code-injection", 502: "py/unsafe-deserialization"}

MakeFinding = Callable[..., Finding]


def copy_tree(source: Path, destination: Path) -> Path:
    shutil.copytree(source, destination, ignore=shutil.ignore_patterns("__pycache__"))
    return destination


def snapshot(root: Path) -> dict[str, str]:
    """Every file and link under root with a hash of its content, to prove nothing changed."""
    state = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if path.is_symlink():
            state[rel] = "link:" + str(path.readlink())
        elif path.is_file():
            state[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
        else:
            state[rel] = "dir"
    return state


def make_finding(
    route: str,
    cwe: int,
    parameter: str | None,
    kind: InputKind = InputKind.QUERY,
    methods: tuple[str, ...] = ("GET",),
    path: str = "app.py",
    framework: str = "flask",
) -> Finding:
    entry = EntryPoint(
        framework,
        f"app.{route.strip('/').replace('/', '_')}",
        Location(path, 1),
        route,
        methods,
        kind,
        parameter,
    )
    return Finding(
        kind=FindingKind.CODE,
        rule_id=RuleId(RULES.get(cwe, "py/other")),
        title=f"CWE-{cwe} at {route}",
        severity=Severity.HIGH,
        confidence=Confidence.HIGH,
        location=Location(path, 1, 1, 1, 2),
        fingerprint=Fingerprint(f"{cwe}:{route}:{parameter}:{kind}"),
        cwe=cwe,
        entry_point=entry,
    )


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    return copy_tree(DEMO, tmp_path / "demo")
