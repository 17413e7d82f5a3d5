"""The oracles decide from what the sink received: structure, not substrings."""

from __future__ import annotations

import shlex

import pytest

from firstpatch.model import OracleEvent
from firstpatch.prove import ORACLES, AuditRecord, Observation, Payload, Response, payloads_for
from firstpatch.prove.oracles._structure import breakout as structure_breakout
from firstpatch.prove.oracles.command import command_position
from firstpatch.prove.oracles.html import markup
from firstpatch.prove.oracles.sql import spans

C = "fp0123456789ab"
ROOT = "/tmp/sandbox/target"


def judge(
    cwe: int, value: str | bytes, *records: AuditRecord, response: Response | None = None
) -> OracleEvent | None:
    observation = Observation(Payload(C, value, "test"), records, response, None, ROOT)
    return ORACLES[cwe].judge(observation)


@pytest.mark.parametrize(
    ("command", "operator"),
    [
        (f"ping -c 1 ;{C}", ";"),
        (f"ping -c 1 |{C}", "|"),
        (f"ping -c 1 x&&{C}", "&&"),
        (f"ping -c 1 $({C})", "$("),
        (f"ping -c 1 `{C}`", "`"),
        (f"ping -c 1 \n{C}", "newline"),
        (f'ping -c 1 "$({C})"', "substitution inside double quotes"),
        (f"ping -c 1 '';{C};''", ";"),
        (C, "start of the command"),
    ],
)
def test_canary_in_command_position_is_found(command: str, operator: str) -> None:
    assert command_position(command, C) == operator


@pytest.mark.parametrize(
    "command",
    [
        "ping -c 1 " + shlex.quote(f";{C}"),
        "ping -c 1 " + shlex.quote(f"$({C})"),
        "ping -c 1 " + shlex.quote(f"\n{C}"),
        f"ping -c 1 {C}",  # an argument, not a command
        f"ping -c 1 \\;{C}",  # an escaped semicolon is a literal character
        f"ping -c 1 '$({C})'",  # single quotes: no substitution
        f"echo 'unbalanced ;{C}",
    ],
)
def test_quoted_or_argument_canary_is_not_a_command(command: str) -> None:
    assert command_position(command, C) is None


def test_command_oracle_reads_shell_and_argv_sinks() -> None:
    shell = AuditRecord("subprocess.Popen", ("/bin/sh", ["/bin/sh", "-c", f"ls ;{C}"]))
    event = judge(78, f";{C}", shell)
    assert event is not None
    assert event.oracle == "audit:subprocess.Popen"
    argv = AuditRecord("subprocess.Popen", (C, [C, "-x"]))
    assert judge(78, C, argv) is not None
    argument = AuditRecord("subprocess.Popen", ("ping", ["ping", "-c", "1", f";{C}"]))
    assert judge(78, f";{C}", argument) is None


def where(condition: str) -> str:
    """A statement as SQLite's trace callback reports it (test data, not a query we run)."""
    return "SELECT 1 FROM t WHERE " + condition  # noqa: S608 - building injected SQL is the point


def sql(statement: str, payload: str) -> str | None:
    found = spans(statement)
    assert found is not None
    return structure_breakout(statement, found, C, payload.count(C))


def test_sql_breakout_and_bound_parameters() -> None:
    payload = f"{C}' OR '{C}'='{C}"
    assert sql(where(f"a = '{payload}'"), payload)
    # Python 3.11 expands bound parameters into escaped literals: the payload stays in one token.
    assert sql(where(f"a = '{C}'' OR ''{C}''=''{C}'"), payload) is None
    # The same value bound twice is two literals, each holding a whole payload.
    twice = f"a = '{C}'' OR ''{C}''=''{C}' OR b = '{C}'' OR ''{C}''=''{C}'"
    assert sql(where(twice), payload) is None
    # Stripping the quotes keeps the payload inside the one literal it was pasted into.
    assert sql(where(f"a = '{C} OR {C}={C}'"), payload) is None
    # Older sqlite3 passes the unexpanded statement: the canary is not there at all.
    assert sql("SELECT 1 FROM t WHERE a = ?", payload) is None
    numeric = f"1 OR '{C}'='{C}'"
    assert sql(where(f"id = {numeric}"), numeric)
    assert sql(where(f"a = '{C}'--{C}'"), f"{C}'--{C}")
    # A double-quoted payload inside a single-quoted literal is data.
    double = f'{C}" OR "{C}"="{C}'
    assert sql(where(f"a = '{double}'"), double) is None


def test_sql_oracle_reads_trace_records() -> None:
    payload = f"{C}' OR '{C}'='{C}"
    trace = AuditRecord("sqlite3.trace", (where(f"author = '{payload}'"),))
    event = judge(89, payload, trace)
    assert event is not None
    assert event.oracle == "sql-structure"


@pytest.mark.parametrize(
    ("expression", "payload", "injected"),
    [
        (f"//p[@id='' or {C}() or '']", f"' or {C}() or '", True),
        (f"//p[@id='{C}' or '{C}'='{C}']", f"{C}' or '{C}'='{C}", True),
        (f"//p[@id=\"' or {C}() or '\"]", f"' or {C}() or '", False),
        (f"//p[@id='{C}'' or ''{C}''=''{C}']", f"{C}' or '{C}'='{C}", False),
        (f"//p[@id=$v][name='{C}']", C, False),
    ],
)
def test_xpath_structure(expression: str, payload: str, injected: bool) -> None:
    record = AuditRecord("xpath", (expression,))
    assert (judge(643, payload, record) is not None) is injected


def test_xpath_function_call_is_evaluation() -> None:
    assert judge(643, f"' or {C}() or '", AuditRecord("xpath.call", (C,))) is not None


@pytest.mark.parametrize(
    ("search_filter", "payload", "injected"),
    [
        (f"(&(objectClass=person)(uid={C})({C}=*))", f"{C})({C}=*", True),
        (f"(&(objectClass=person)(uid=*)({C}=*))", f"*)({C}=*", True),
        (f"(&(objectClass=person)(uid={C}\\29\\28{C}=\\2a))", f"{C})({C}=*", False),
        (f"(uid={C})", C, False),
    ],
)
def test_ldap_structure(search_filter: str, payload: str, injected: bool) -> None:
    record = AuditRecord("ldap.search", ("ou=users", search_filter))
    assert (judge(90, payload, record) is not None) is injected


def test_redirect_oracle_reads_the_location_host() -> None:
    def location(value: str) -> Response:
        return Response(302, "text/html", "", (("Location", value),))

    assert judge(601, "", response=location(f"https://{C}.example/")) is not None
    assert judge(601, "", response=location(f"/\\{C}.example/")) is not None
    assert judge(601, "", response=location(f"/next?to=https://{C}.example/")) is None


def test_cookie_oracles_read_set_cookie_flags() -> None:
    def cookie(header: str) -> Response:
        return Response(200, "text/html", "", (("Set-Cookie", header),))

    assert judge(614, C, response=cookie(f"pref={C}; Path=/; HttpOnly")) is not None
    assert judge(1004, C, response=cookie(f"pref={C}; Path=/; HttpOnly")) is None
    assert judge(614, C, response=cookie(f"pref={C}; Secure; HttpOnly")) is None
    assert judge(614, C, response=cookie("pref=other; Path=/")) is None


def test_log_oracle_needs_the_line_break_kept() -> None:
    payload = f"{C}\n{C} forged entry"
    assert judge(117, payload, AuditRecord("logging", ("warning", f"failed for {payload}"))) is not None
    escaped = f"failed for {payload!r}"
    assert judge(117, payload, AuditRecord("logging", ("warning", escaped))) is None


def test_path_oracle_needs_the_canary_outside_the_folder() -> None:
    outside = AuditRecord("open", (f"/{C}", "r"))
    inside = AuditRecord("open", (f"{ROOT}/files/{C}", "r"))
    assert judge(22, f"/{C}", outside) is not None
    assert judge(22, f"../{C}", inside) is None


def test_code_oracle_ignores_compile_and_needs_the_import() -> None:
    compiled = AuditRecord("compile", (f"__import__('{C}')", "<unknown>"))
    assert judge(94, f"__import__('{C}')", compiled) is None
    imported = AuditRecord("import", (C,))
    event = judge(94, f"__import__('{C}')", compiled, imported)
    assert event is not None
    assert event.oracle == "audit:import"
    assert judge(94, "x", AuditRecord("import", (C + "x",))) is None


def test_deserialization_oracle() -> None:
    event = judge(502, b"...", AuditRecord("pickle.find_class", (C, "attr")))
    assert event is not None
    assert event.oracle == "audit:pickle.find_class"
    assert judge(502, "...", AuditRecord("pickle.find_class", ("builtins", C))) is None


@pytest.mark.parametrize(
    ("body", "found"),
    [
        (f"<h1>Hello <{C}>!</h1>", True),
        (f'<input value=""><{C} x=y>">', True),
        (f'<input value="" {C}="1">', True),
        (f"<h1>Hello &lt;{C}&gt;!</h1>", False),
        (f"<p>{C}</p>", False),
    ],
)
def test_html_markup(body: str, found: bool) -> None:
    assert (markup(body, C) is not None) is found


def test_html_oracle_requires_an_html_response() -> None:
    body = f"<{C}>"
    assert judge(79, body, response=Response(200, "text/html; charset=utf-8", body)) is not None
    assert judge(79, body, response=Response(200, "application/json", body)) is None
    assert judge(79, body, response=None) is None


@pytest.mark.parametrize("cwe", [22, 78, 79, 89, 94, 502])
def test_payloads_have_unique_canaries_that_appear_in_them(cwe: int) -> None:
    payloads = payloads_for(cwe)
    assert len(payloads) >= 3
    canaries = [payload.canary for payload in payloads]
    assert len(set(canaries)) == len(canaries)
    for payload in payloads:
        assert payload.canary.startswith("fp")
        assert len(payload.canary) == 14
        raw = payload.value if isinstance(payload.value, bytes) else payload.value.encode()
        assert payload.canary.encode() in raw or b"Y2" in raw  # the base64 variant hides it
    assert payloads_for(1234) == ()
