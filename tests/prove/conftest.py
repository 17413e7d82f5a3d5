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
    Step,
)

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "examples" / "vulnerable-flask"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
RULES = {22: "py/path-injection", 78: "py/command-injection", 79: "py/reflected-xss", 89: "py/sql-injection"}
RULES |= {94: "py/code-injection", 502: "py/unsafe-deserialization", 643: "py/xpath-injection"}
RULES |= {90: "py/ldap-injection", 611: "py/xxe", 601: "py/url-redirection", 918: "py/ssrf"}
RULES |= {1336: "py/template-injection", 117: "py/log-injection", 501: "py/trust-boundary-violation"}
RULES |= {328: "py/weak-hash", 330: "py/weak-random", 614: "py/insecure-cookie"}
RULES |= {
    1004: "py/cookie-without-httponly",
    798: "py/hardcoded-credentials",
    295: "py/tls-verification-disabled",
}

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
    kind: InputKind | None = InputKind.QUERY,
    methods: tuple[str, ...] = ("GET",),
    path: str = "app.py",
    framework: str = "flask",
    function: str | None = None,
    line: int = 1,
    snippet: str = "",
    entry_line: int = 1,
    trace: tuple[Step, ...] = (),
) -> Finding:
    entry = EntryPoint(
        framework,
        function or f"app.{route.strip('/').replace('/', '_')}",
        Location(path, entry_line),
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
        location=Location(path, line, 1, line, 2, snippet),
        fingerprint=Fingerprint(f"{cwe}:{route}:{parameter}:{kind}"),
        cwe=cwe,
        entry_point=entry,
        trace=trace,
    )


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    return copy_tree(DEMO, tmp_path / "demo")
