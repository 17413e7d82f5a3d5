"""Real flows for every CWE with a dynamic oracle, on one Flask fixture: each /v/ route is
confirmed by its oracle, each /s/ look-alike stays not-confirmed, and an input HTTP cannot carry
is untestable."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import FIXTURES, copy_tree, make_finding, snapshot
from firstpatch.model import Evidence, Finding, InputKind, Location, ProofStatus, Step, StepKind
from firstpatch.prove import prove

APP = FIXTURES / "flask-oracles" / "app.py"
BODY, FORM, QUERY = InputKind.BODY, InputKind.FORM, InputKind.QUERY


def _line(text: str, after: int = 0) -> int:
    lines = APP.read_text().splitlines()
    return next(n for n, line in enumerate(lines, 1) if n > after and text in line)


# route, cwe, parameter, input kind, methods, sink line marker (weak primitives), oracle expected
VULNERABLE = [
    ("/v/xpath", 643, "id", QUERY, ("GET",), None, "xpath-structure"),
    ("/v/xpath-compiled", 643, "name", QUERY, ("GET",), None, "xpath-structure"),
    ("/v/ldap", 90, "user", QUERY, ("GET",), None, "ldap-structure"),
    ("/v/xxe", 611, None, BODY, ("POST",), None, "audit:urllib.Request"),
    ("/v/xxe-lxml", 611, None, BODY, ("POST",), None, "audit:xml.entity"),
    ("/v/template", 1336, "name", QUERY, ("GET",), None, "template-evaluated"),
    ("/v/redirect", 601, "next", QUERY, ("GET",), None, "redirect-host"),
    ("/v/fetch", 918, "url", QUERY, ("GET",), None, "audit:urllib.Request"),
    ("/v/cookie", 614, "value", QUERY, ("GET",), None, "cookie-without-secure"),
    ("/v/cookie", 1004, "value", QUERY, ("GET",), None, "cookie-without-httponly"),
    ("/v/session", 501, "user", QUERY, ("GET",), None, "session-carries-input"),
    ("/v/hash", 328, "password", QUERY, ("GET",), "hashlib.md5(", "call:hashlib.weak"),
    ("/v/token", 330, "user", QUERY, ("GET",), "random.getrandbits(", "call:random.call"),
    ("/v/log", 117, "user", QUERY, ("GET",), None, "log-line-forged"),
    # Trace-guided: the action field, the X-Team header and the "report-" prefix are read from
    # the handler's conditions; without them the template is never rendered.
    ("/v/guarded", 1336, "name", FORM, ("POST",), None, "template-evaluated"),
    ("/v/exists", 22, "name", QUERY, ("GET",), None, "audit:os.stat"),  # an existence check
    ("/v/trimmed", 79, "q", QUERY, ("GET",), None, "html-unescaped"),  # the input's tail is cut
    # Pattern findings name no input: the handler's own lookups are filled in. The cookie's name
    # is in a variable; the generator's call is a step of the trace, not the sink.
    ("/v/theme", 614, None, None, ("POST",), "set_cookie(name", "cookie-without-secure"),
    ("/v/remember", 330, None, None, ("POST",), 'session["token"]', "call:random.call"),
    ("/v/header-name", 328, None, None, ("POST",), "hashlib.md5(seen", "call:hashlib.weak"),
]
# The trace step (the generator call) of the findings above that have one.
STEPS = {"/v/remember": "random.random(", "/s/remember": "secrets.token_hex(16"}
SAFE = [
    ("/s/xpath", 643, "id", QUERY, ("GET",), None),
    ("/s/ldap", 90, "user", QUERY, ("GET",), None),
    ("/s/xxe", 611, None, BODY, ("POST",), None),
    ("/s/template", 1336, "name", QUERY, ("GET",), None),
    ("/s/redirect", 601, "next", QUERY, ("GET",), None),
    ("/s/fetch", 918, "url", QUERY, ("GET",), None),
    ("/s/cookie", 614, "value", QUERY, ("GET",), None),
    ("/s/cookie", 1004, "value", QUERY, ("GET",), None),
    ("/s/session", 501, "user", QUERY, ("GET",), None),
    ("/s/hash", 328, "password", QUERY, ("GET",), "hashlib.sha256("),
    ("/s/token", 330, "user", QUERY, ("GET",), "secrets.token_hex("),
    ("/s/log", 117, "user", QUERY, ("GET",), None),
    ("/v/escape-html", 79, "q", QUERY, ("GET",), None),
    ("/s/exists", 22, "name", QUERY, ("GET",), None),
    ("/s/theme", 614, None, None, ("POST",), "set_cookie(name"),
    ("/s/remember", 330, None, None, ("POST",), 'session["token"]'),
]
# The input is a header's name, which HTTP limits to token characters: no traversal fits.
UNTESTABLE = [("/v/header-name", 22, None, None, ("POST",), None)]


def _finding(
    route: str,
    cwe: int,
    parameter: str | None,
    kind: InputKind | None,
    methods: tuple[str, ...],
    sink: str | None,
) -> Finding:
    handler = _line(f'@app.route("{route}"')
    step = STEPS.get(route)
    trace = (Step(StepKind.SOURCE, Location("app.py", _line(step, handler)), "drawn"),) if step else ()
    line = _line(sink, handler) if sink else 1
    return make_finding(route, cwe, parameter, kind, methods, line=line, entry_line=handler, trace=trace)


@pytest.fixture(scope="module")
def proved(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, int], Evidence]:
    root = copy_tree(APP.parent, tmp_path_factory.mktemp("oracles") / "app")
    before = snapshot(root)
    findings = [_finding(*row[:6]) for row in VULNERABLE] + [_finding(*row) for row in SAFE + UNTESTABLE]
    evidence = prove(root, findings)
    assert snapshot(root) == before
    return {(f.entry_point.route, f.cwe or 0): evidence[f.fingerprint] for f in findings if f.entry_point}


@pytest.mark.slow
@pytest.mark.parametrize(("route", "cwe", "oracle"), [(row[0], row[1], row[6]) for row in VULNERABLE])
def test_vulnerable_route_is_confirmed(
    proved: dict[tuple[str, int], Evidence], route: str, cwe: int, oracle: str
) -> None:
    found = proved[(route, cwe)]
    assert found.status is ProofStatus.CONFIRMED, (found.reason, found.log)
    assert found.event is not None
    assert found.event.oracle == oracle
    assert found.reproducer
    assert found.request


@pytest.mark.slow
@pytest.mark.parametrize(("route", "cwe"), [(row[0], row[1]) for row in SAFE])
def test_safe_look_alike_is_not_confirmed(
    proved: dict[tuple[str, int], Evidence], route: str, cwe: int
) -> None:
    found = proved[(route, cwe)]
    assert found.status is ProofStatus.NOT_CONFIRMED, (found.reason, found.log)


@pytest.mark.slow
@pytest.mark.parametrize(("route", "cwe"), [(row[0], row[1]) for row in UNTESTABLE])
def test_input_http_cannot_carry_is_untestable(
    proved: dict[tuple[str, int], Evidence], route: str, cwe: int
) -> None:
    found = proved[(route, cwe)]
    assert found.status is ProofStatus.UNTESTABLE, (found.reason, found.log)
    assert "the input is the name of a header" in found.reason


def test_credentials_and_tls_have_no_dynamic_oracle(tmp_path: Path) -> None:
    findings = [make_finding("/x", 798, None), make_finding("/x", 295, None)]
    evidence = prove(tmp_path, findings)
    for finding in findings:
        found = evidence[finding.fingerprint]
        assert found.status is ProofStatus.UNTESTABLE
        assert found.reason.startswith(f"no dynamic oracle for CWE-{finding.cwe}")
