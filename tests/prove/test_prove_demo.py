"""The demo application: every /v/ route is confirmed by the right oracle, every /s/ look-alike is not."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from conftest import DEMO, copy_tree, make_finding, snapshot
from firstpatch.model import Evidence, Finding, InputKind, ProofStatus
from firstpatch.prove import prove

BODY = InputKind.BODY
VULNERABLE = [
    # route, cwe, parameter, input kind, methods, the oracle event expected
    ("/v/ping", 78, "host", InputKind.QUERY, ("GET",), "audit:os.system"),
    ("/v/notes", 89, "author", InputKind.QUERY, ("GET",), "sql-structure"),
    ("/v/files", 22, "name", InputKind.QUERY, ("GET",), "audit:open"),
    ("/v/parse", 94, "value", InputKind.QUERY, ("GET",), "audit:import"),
    ("/v/restore", 502, None, BODY, ("POST",), "audit:pickle.find_class"),
    ("/v/settings", 502, None, BODY, ("POST",), "audit:import"),
    ("/v/hello", 79, "name", InputKind.QUERY, ("GET",), "html-unescaped"),
]
SAFE = [
    ("/s/ping", 78, "host", InputKind.QUERY, ("GET",)),
    ("/s/ping-quoted", 78, "host", InputKind.QUERY, ("GET",)),
    ("/s/notes", 89, "author", InputKind.QUERY, ("GET",)),
    ("/s/files", 22, "name", InputKind.QUERY, ("GET",)),
    ("/s/files-basename", 22, "name", InputKind.QUERY, ("GET",)),
    ("/s/parse", 94, "value", InputKind.QUERY, ("GET",)),
    ("/s/restore", 502, None, BODY, ("POST",)),
    ("/s/settings", 502, None, BODY, ("POST",)),
    ("/s/hello", 79, "name", InputKind.QUERY, ("GET",)),
    ("/s/hello-count", 79, "count", InputKind.QUERY, ("GET",)),
]


def _findings() -> list[Finding]:
    rows = [row[:5] for row in VULNERABLE] + SAFE
    return [
        make_finding(route, cwe, parameter, kind, methods) for route, cwe, parameter, kind, methods in rows
    ]


@pytest.fixture(scope="module")
def proved(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Evidence], dict[str, str]]:
    root = copy_tree(DEMO, tmp_path_factory.mktemp("demo") / "vulnerable-flask")
    before = snapshot(root)
    findings = _findings()
    evidence = prove(root, findings)
    by_route = {f.entry_point.route: evidence[f.fingerprint] for f in findings if f.entry_point}
    return root, by_route, before


@pytest.mark.slow
@pytest.mark.parametrize(("route", "oracle"), [(row[0], row[5]) for row in VULNERABLE])
def test_vulnerable_route_is_confirmed_by_its_oracle(
    proved: tuple[Path, dict[str, Evidence], dict[str, str]], route: str, oracle: str
) -> None:
    _, evidence, _ = proved
    found = evidence[route]
    assert found.status is ProofStatus.CONFIRMED, found.reason
    assert found.event is not None
    assert found.event.oracle == oracle
    assert found.reproducer
    assert ".test_client(" in found.reproducer
    assert found.request
    assert "http://127.0.0.1:5000" + route in found.request


@pytest.mark.slow
@pytest.mark.parametrize("route", [row[0] for row in SAFE])
def test_safe_look_alike_is_not_confirmed(
    proved: tuple[Path, dict[str, Evidence], dict[str, str]], route: str
) -> None:
    _, evidence, _ = proved
    found = evidence[route]
    assert found.status is ProofStatus.NOT_CONFIRMED, found.reason
    assert found.event is None
    assert found.reproducer is None
    assert "payloads" in found.reason


@pytest.mark.slow
def test_specific_evidence_details(proved: tuple[Path, dict[str, Evidence], dict[str, str]]) -> None:
    _, evidence, _ = proved
    ping = evidence["/v/ping"].event
    assert ping is not None
    assert "ping -c 1 ;fp" in ping.detail
    files = evidence["/v/files"].event
    assert files is not None
    assert "outside the application's folder" in files.detail
    # The quoted variant reached os.system (the command ran), yet no payload was a separate command.
    assert "os.system" in evidence["/s/ping-quoted"].log
    # The bound parameter reached SQLite as a literal holding the whole payload.
    assert "sqlite3.trace" in evidence["/s/notes"].log
    # literal_eval compiled the payload: a compile event is recorded but does not confirm.
    assert "compile" in evidence["/s/parse"].log


@pytest.mark.slow
def test_target_tree_is_unchanged(proved: tuple[Path, dict[str, Evidence], dict[str, str]]) -> None:
    root, _, before = proved
    assert snapshot(root) == before


@pytest.mark.slow
@pytest.mark.parametrize("route", [row[0] for row in VULNERABLE])
def test_reproducer_script_fires_when_run_by_hand(
    proved: tuple[Path, dict[str, Evidence], dict[str, str]], route: str, tmp_path: Path
) -> None:
    _, evidence, _ = proved
    script = evidence[route].reproducer
    assert script is not None
    target = copy_tree(DEMO, tmp_path / "copy")
    path = tmp_path / "reproduce.py"
    path.write_text(script)
    completed = subprocess.run(
        [sys.executable, str(path), str(target)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "REPRODUCED" in completed.stdout
    assert "watched:" in completed.stdout
