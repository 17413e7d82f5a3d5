"""Each framework's driver on a small fixture application: a real flow is confirmed and its safe
look-alike is not; routes the analysis could not read fully are found by their handler."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from conftest import FIXTURES, copy_tree, make_finding, snapshot
from firstpatch.model import Evidence, Finding, Fingerprint, InputKind, ProofStatus
from firstpatch.prove import prove

QUERY, PATH, FORM = InputKind.QUERY, InputKind.PATH, InputKind.FORM


def _prove(tmp_path: Path, fixture: str, findings: list[Finding]) -> dict[int, Evidence]:
    """Evidence by the identity of each finding object (the test fingerprints may repeat)."""
    unique = [
        dataclasses.replace(f, fingerprint=Fingerprint(f"{f.fingerprint}#{i}"))
        for i, f in enumerate(findings)
    ]
    root = copy_tree(FIXTURES / fixture, tmp_path / fixture)
    before = snapshot(root)
    evidence = prove(root, unique)
    assert snapshot(root) == before
    return {
        id(original): evidence[renamed.fingerprint]
        for original, renamed in zip(findings, unique, strict=True)
    }


def _status(evidence: dict[int, Evidence], finding: Finding) -> ProofStatus:
    return evidence[id(finding)].status


@pytest.mark.slow
def test_django_include_prefix_session_and_temporary_database(tmp_path: Path) -> None:
    views = "notes/views.py"
    # The analysis reports the route as declared in notes/urls.py, without the include() prefix.
    sqli = make_finding("search/", 89, "q", path=views, framework="django", function="notes.views.search")
    safe = make_finding(
        "search-safe/", 89, "q", path=views, framework="django", function="notes.views.search_safe"
    )
    xss = make_finding(
        "hello/<str:name>/", 79, "name", PATH, path=views, framework="django", function="notes.views.hello"
    )
    session = make_finding(
        "remember/", 501, "who", path=views, framework="django", function="notes.views.remember"
    )
    evidence = _prove(tmp_path, "django-site", [sqli, safe, xss, session])
    for finding in (sqli, xss, session):
        found = evidence[id(finding)]
        assert found.status is ProofStatus.CONFIRMED, (finding.entry_point, found.reason, found.log)
    assert "/notes/search/?q=" in (evidence[id(sqli)].request or "")
    assert _status(evidence, safe) is ProofStatus.NOT_CONFIRMED, evidence[id(safe)].reason


@pytest.mark.slow
def test_fastapi_query_path_and_redirect(tmp_path: Path) -> None:
    kwargs = {"path": "main.py", "framework": "fastapi"}
    xss = make_finding("/hello", 79, "who", **kwargs)
    safe = make_finding("/hello-safe", 79, "who", **kwargs)
    command = make_finding("/ping/{host}", 78, "host", PATH, **kwargs)
    redirect = make_finding("/go", 601, "next", **kwargs)
    evidence = _prove(tmp_path, "fastapi-app", [xss, safe, command, redirect])
    for finding in (xss, command, redirect):
        found = evidence[id(finding)]
        assert found.status is ProofStatus.CONFIRMED, (finding.entry_point, found.reason, found.log)
    assert _status(evidence, safe) is ProofStatus.NOT_CONFIRMED


@pytest.mark.slow
def test_aiohttp_factory_path_and_form(tmp_path: Path) -> None:
    kwargs = {"path": "server.py", "framework": "aiohttp"}
    program = make_finding("/run/{tool}", 78, "tool", PATH, **kwargs)
    code = make_finding("/echo", 94, None, FORM, ("POST",), **kwargs, function="server.echo")
    safe = make_finding("/echo-safe", 94, None, FORM, ("POST",), **kwargs, function="server.echo_safe")
    evidence = _prove(tmp_path, "aiohttp-app", [program, code, safe])
    for finding in (program, code):
        found = evidence[id(finding)]
        assert found.status is ProofStatus.CONFIRMED, (finding.entry_point, found.reason, found.log)
    assert _status(evidence, safe) is ProofStatus.NOT_CONFIRMED


@pytest.mark.slow
def test_tornado_handler_without_a_route_is_found_by_its_class(tmp_path: Path) -> None:
    text = (FIXTURES / "tornado-app" / "app.py").read_text().splitlines()
    ping, safe_line = (
        next(n for n, t in enumerate(text, 1) if f"class {c}" in t) + 1
        for c in ("PingHandler", "SafeHandler")
    )
    kwargs = {"path": "app.py", "framework": "tornado", "entry_line": ping}
    command = make_finding("", 78, None, **kwargs, function="app.PingHandler.get")
    xss = make_finding("", 79, None, **kwargs, function="app.PingHandler.get")
    safe = make_finding(
        "", 79, None, path="app.py", framework="tornado", entry_line=safe_line, function="app.SafeHandler.get"
    )
    evidence = _prove(tmp_path, "tornado-app", [command, xss, safe])
    for finding in (command, xss):
        found = evidence[id(finding)]
        assert found.status is ProofStatus.CONFIRMED, (found.reason, found.log)
        assert "/ping?host=" in (found.request or "")
    assert _status(evidence, safe) is ProofStatus.NOT_CONFIRMED, evidence[id(safe)].reason


@pytest.mark.slow
def test_command_line_argv_and_environment(tmp_path: Path) -> None:
    argv = make_finding(
        "", 78, None, InputKind.ARGV, (), path="backup.py", framework="cli", function="backup.main"
    )
    env = make_finding(
        "",
        94,
        "BACKUP_EVAL",
        InputKind.ENV,
        (),
        path="backup.py",
        framework="cli",
        function="backup.<module>",
    )
    safe = make_finding(
        "", 78, None, InputKind.ARGV, (), path="safe.py", framework="cli", function="safe.<module>"
    )
    evidence = _prove(tmp_path, "cli-tool", [argv, env, safe])
    for finding in (argv, env):
        found = evidence[id(finding)]
        assert found.status is ProofStatus.CONFIRMED, (found.reason, found.log)
    assert (evidence[id(argv)].request or "").startswith("python -m backup ")
    assert "BACKUP_EVAL=" in (evidence[id(env)].request or "")
    assert _status(evidence, safe) is ProofStatus.NOT_CONFIRMED, evidence[id(safe)].reason
