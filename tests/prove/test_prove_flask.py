"""Locating the application, building requests for each input kind, and dispatching."""

from __future__ import annotations

import dataclasses
import subprocess
from pathlib import Path

import pytest

import firstpatch.prove
from conftest import DEMO, FIXTURES, copy_tree, make_finding
from firstpatch.model import InputKind, ProofStatus
from firstpatch.prove import Payload, prove
from firstpatch.prove._applocate import AppFinder
from firstpatch.prove._http import HttpRequest, build_request

FACTORY = FIXTURES / "factory-app"


def test_demo_app_is_the_module_level_object() -> None:
    locator = AppFinder(DEMO).find(make_finding("/v/ping", 78, "host").entry_point)  # type: ignore[arg-type]
    assert locator is not None
    assert (locator.path_entry, locator.module, locator.attribute, locator.factory) == (
        "",
        "app",
        "app",
        None,
    )


def test_factory_in_src_layout_is_found_through_the_blueprint_import() -> None:
    entry = make_finding("/greet/<path:who>", 79, "who", InputKind.PATH, path="src/shop/views.py").entry_point
    locator = AppFinder(FACTORY).find(entry)  # type: ignore[arg-type]
    assert locator is not None
    assert (locator.path_entry, locator.module, locator.factory) == ("src", "shop", "create_app")


def test_requests_for_each_input_kind() -> None:
    payload = Payload("fpaaaaaaaaaaaa", "<fpaaaaaaaaaaaa>;x", "t")

    def request(route: str, kind: InputKind, parameter: str | None, methods: tuple[str, ...] = ("GET",)):
        return build_request(make_finding(route, 79, parameter, kind, methods).entry_point, payload)  # type: ignore[arg-type]

    query = request("/a", InputKind.QUERY, "q")
    assert query.path == "/a?q=%3Cfpaaaaaaaaaaaa%3E%3Bx"
    assert query.body is None
    path = request("/g/<path:who>/<int:n>", InputKind.PATH, "who")
    assert path.path == "/g/%3Cfpaaaaaaaaaaaa%3E%3Bx/1"
    json_request = request("/j", InputKind.JSON, None, ("GET", "POST"))
    assert json_request.method == "POST"
    assert json_request.body is not None
    assert b'"q": "<fpaaaaaaaaaaaa>;x"' in json_request.body
    cookie = request("/c", InputKind.COOKIE, "theme")
    assert ("Cookie", 'theme="<fpaaaaaaaaaaaa>\\073x"') in cookie.headers
    header = request("/h", InputKind.HEADER, "X-Client")
    assert ("X-Client", "<fpaaaaaaaaaaaa>;x") in header.headers
    upload = request("/u", InputKind.FILE, "doc", ("POST",))
    assert upload.body is not None
    assert b'name="doc"' in upload.body
    assert upload.curl().startswith("curl -i --path-as-is -X POST")


# A stand-in for curl that prints the body it was given, to check the shell delivers it exactly.
CURL_SHIM = """curl() {
  while [ $# -gt 0 ]; do
    if [ "$1" = --data-binary ]; then shift; if [ "$1" = @- ]; then cat; else printf '%s' "$1"; fi; fi
    shift
  done
}
"""


@pytest.mark.parametrize(
    "body",
    [
        b"cfp0\nattr\n.",
        b"a: 1\n\n",
        b"--b\r\nContent: x\r\n\r\n'quoted' \"double\" $(x) `y`\r\n",
        b"@file",
        b"\x80\x02\x00%'\\",
    ],
)
def test_curl_command_delivers_the_exact_body(body: bytes) -> None:
    request = HttpRequest("POST", "/r", (("Content-Type", "application/octet-stream"),), body)
    command = request.curl()
    assert command.startswith("curl") == (b"\0" not in body and not body.startswith(b"@") and body.isascii())
    completed = subprocess.run(["sh", "-c", CURL_SHIM + command], capture_output=True, check=True, timeout=10)
    assert completed.stdout == body


@pytest.mark.slow
def test_every_input_kind_reaches_the_handler(tmp_path: Path) -> None:
    root = copy_tree(FACTORY, tmp_path / "factory")
    views = "src/shop/views.py"
    findings = [
        make_finding("/greet/<path:who>", 79, "who", InputKind.PATH, path=views),
        make_finding("/items/<int:item>/notes", 79, None, InputKind.JSON, ("GET", "POST"), path=views),
        make_finding("/prefs", 79, "theme", InputKind.COOKIE, path=views),
        make_finding("/agent", 79, "X-Client", InputKind.HEADER, path=views),
        make_finding("/upload", 79, "doc", InputKind.FILE, ("POST",), path=views),
        make_finding("/form", 79, "comment", InputKind.FORM, ("POST",), path=views),
    ]
    evidence = prove(root, findings)
    for finding in findings:
        found = evidence[finding.fingerprint]
        assert found.status is ProofStatus.CONFIRMED, (finding.entry_point, found.reason, found.log)


@pytest.mark.slow
def test_unregistered_route_and_foreign_findings_are_untestable(demo: Path) -> None:
    missing = make_finding("/v/nowhere", 78, "host")
    django = make_finding("/v/ping", 78, "host", framework="rails")
    no_entry = dataclasses.replace(make_finding("/v/ping", 78, "host"), fingerprint="x", entry_point=None)
    no_oracle = make_finding("/v/ping", 1234, "host")
    evidence = prove(demo, [missing, django, no_oracle, no_entry])
    assert evidence[missing.fingerprint].reason == "route /v/nowhere is not registered by app.app"
    assert evidence[django.fingerprint].reason == "no prove driver for the 'rails' framework"
    assert evidence[no_entry.fingerprint].reason == "the finding has no entry point"
    assert evidence[no_oracle.fingerprint].reason == "no oracle for CWE-1234"
    assert all(e.status is ProofStatus.UNTESTABLE for e in evidence.values())


def test_no_flask_application(tmp_path: Path) -> None:
    (tmp_path / "tool.py").write_text("print('not a web app')\n")
    finding = make_finding("/x", 78, "host")
    evidence = prove(tmp_path, [finding])[finding.fingerprint]
    assert evidence.status is ProofStatus.UNTESTABLE
    assert evidence.reason.startswith("no Flask application found")


def test_public_api() -> None:
    assert sorted(firstpatch.prove.__all__) == sorted(
        [
            "DRIVERS",
            "NO_DYNAMIC_ORACLE",
            "ORACLES",
            "AiohttpDriver",
            "AsgiDriver",
            "AuditRecord",
            "ChildError",
            "CliDriver",
            "DjangoDriver",
            "Driver",
            "EnvironmentUnavailable",
            "Failure",
            "FlaskDriver",
            "Interpreter",
            "Limits",
            "Observation",
            "Oracle",
            "Payload",
            "ProveError",
            "Response",
            "SandboxResult",
            "TargetEnvironment",
            "TornadoDriver",
            "declared_requirements",
            "drivers_for",
            "installed",
            "new_canary",
            "payloads_for",
            "prepare",
            "prove",
            "prove_in_scan",
            "target_drivers",
        ]
    )
    assert set(firstpatch.prove.DRIVERS) == {"flask", "django", "fastapi", "aiohttp", "tornado", "cli"}
    assert set(firstpatch.prove.ORACLES) == {
        *(22, 78, 79, 89, 90, 94, 117, 328, 330, 501, 502, 601, 611, 614, 643, 918, 1004, 1336)
    }
    assert set(firstpatch.prove.NO_DYNAMIC_ORACLE) == {295, 798}
