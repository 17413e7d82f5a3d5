"""Payloads per CWE, each carrying a fresh canary so that its effects can be told apart.

The first payload of each list is the plain case; the others are variants for other quoting
contexts and naive filters, tried when the first does not fire. Payloads are harmless by
construction: the canary names nothing that exists (no program, module, file or table).
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Callable

from firstpatch.prove.interface import Payload

Canaries = Callable[[], str]
SUPPORTED_CWES = frozenset(
    {22, 78, 79, 89, 90, 94, 117, 328, 330, 501, 502, 601, 611, 614, 643, 918, 1004, 1336}
)


def new_canary() -> str:
    """`fp` and 12 random hex digits: a valid identifier, file name, HTML tag and program name."""
    return "fp" + secrets.token_hex(6)


def payloads_for(cwe: int, canaries: Canaries = new_canary) -> tuple[Payload, ...]:
    """Every payload to try for `cwe`, in order; empty when the CWE has no oracle."""
    make = _BY_CWE.get(cwe)
    return make(canaries) if make else ()


def _command(canaries: Canaries) -> tuple[Payload, ...]:
    cases = [
        ("semicolon", ";{c}"),
        ("pipe", "|{c}"),
        ("command substitution", "$({c})"),
        ("backticks", "`{c}`"),
        ("newline", "\n{c}"),
        ("and-list", "x&&{c}"),
        ("single-quote breakout", "';{c};'"),
        ("double-quote substitution", '"$({c})"'),
        ("program name", "{c}"),  # argv-style sinks: the input becomes the program
    ]
    return tuple(_text(canaries(), label, template) for label, template in cases)


def _sql(canaries: Canaries) -> tuple[Payload, ...]:
    # The canary opens and closes each payload: the oracle checks both ends stay in one literal.
    cases = [
        ("single-quote breakout", "{c}' OR '{c}'='{c}"),
        ("single-quote comment", "{c}'--{c}"),
        ("double-quote breakout", '{c}" OR "{c}"="{c}'),
        ("numeric context", "1 OR '{c}'='{c}'"),
    ]
    return tuple(_text(canaries(), label, template) for label, template in cases)


def _path(canaries: Canaries) -> tuple[Payload, ...]:
    cases = [
        ("dot-dot", "../" * 16 + "{c}"),
        ("absolute", "/{c}"),
        ("filter bypass", "....//" * 16 + "{c}"),
    ]
    return tuple(_text(canaries(), label, template) for label, template in cases)


def _code(canaries: Canaries) -> tuple[Payload, ...]:
    cases = [
        ("expression", "__import__('{c}')"),
        ("single-quoted string breakout", "'+__import__('{c}')+'"),
        ("double-quoted string breakout", '"+__import__("{c}")+"'),
        ("statement", "1\n__import__('{c}')"),
    ]
    return tuple(_text(canaries(), label, template) for label, template in cases)


def _deserialize(canaries: Canaries) -> tuple[Payload, ...]:
    pickled, encoded, padded, yaml_name, yaml_apply = (canaries() for _ in range(5))
    return (
        # Protocol 0 GLOBAL opcode: unpickling looks the name up before anything else happens.
        Payload(pickled, _pickle_global(pickled), "pickle global", "application/octet-stream"),
        Payload(encoded, base64.b64encode(_pickle_global(encoded)), "base64 pickle global"),
        # Extra padding survives code that cuts the input's tail (non-strict base64 ignores it),
        # and the base64 variants travel where the raw pickle's newlines cannot (headers).
        Payload(padded, base64.b64encode(_pickle_global(padded)) + b"==", "base64 pickle global, padded"),
        # No trailing newline: a header cannot carry one, and YAML needs none.
        Payload(yaml_name, f"!!python/name:{yaml_name}.attr", "yaml python/name", "application/x-yaml"),
        Payload(
            yaml_apply,
            f"!!python/object/apply:{yaml_apply}.attr []",
            "yaml python/object/apply",
            "application/x-yaml",
        ),
    )


def _html(canaries: Canaries) -> tuple[Payload, ...]:
    cases = [
        ("element", "<{c}>"),
        ("double-quoted attribute breakout", '"><{c} x=y>'),
        ("single-quoted attribute breakout", "'><{c} x=y>"),
        ("raw-text breakout", "</textarea></title></script><{c}>"),
        ("attribute injection", '" {c}="1'),
        ("single-quoted attribute injection", "' {c}='1"),
        ("element with text after it", "<{c}>..."),  # survives code that cuts the input's tail
    ]
    return tuple(_text(canaries(), label, template, "text/html") for label, template in cases)


def _xpath(canaries: Canaries) -> tuple[Payload, ...]:
    cases = [
        ("single-quote function call", "' or {c}() or '"),
        ("double-quote function call", '" or {c}() or "'),
        ("single-quote breakout", "{c}' or '{c}'='{c}"),
        ("double-quote breakout", '{c}" or "{c}"="{c}'),
        ("numeric context", "1 or {c}()"),
    ]
    return tuple(_text(canaries(), label, template) for label, template in cases)


def _ldap(canaries: Canaries) -> tuple[Payload, ...]:
    cases = [
        ("filter breakout", "{c})({c}=*"),
        ("or-filter breakout", "{c})(|({c}=*)"),
        ("wildcard breakout", "*)({c}=*"),
    ]
    return tuple(_text(canaries(), label, template) for label, template in cases)


def _xxe(canaries: Canaries) -> tuple[Payload, ...]:
    general = canaries()
    parameter = canaries()
    return (
        Payload(
            general,
            f'<?xml version="1.0"?>\n<!DOCTYPE {general} [<!ENTITY {general} SYSTEM "file:///{general}.ent">]>\n'
            f"<{general}>&{general};</{general}>",
            "external general entity",
            "application/xml",
        ),
        Payload(
            parameter,
            f'<?xml version="1.0"?>\n<!DOCTYPE r [<!ENTITY % {parameter} SYSTEM "file:///{parameter}.dtd">'
            f" %{parameter};]>\n"
            "<r/>",
            "external parameter entity",
            "application/xml",
        ),
    )


def _template(canaries: Canaries) -> tuple[Payload, ...]:
    cases = [("jinja expression", "{{{{{a}*{b}}}}}"), ("mako expression", "${{{a}*{b}}}")]
    found = []
    for label, template in cases:
        canary = canaries()
        # Two factors from the canary's random digits: their product appears in no payload.
        a, b = 7000 + int(canary[-6:-3], 16) % 1000, 8000 + int(canary[-3:], 16) % 1000
        found.append(Payload(canary, canary + template.format(a=a, b=b), label, expect=f"{canary}{a * b}"))
    return tuple(found)


def _redirect(canaries: Canaries) -> tuple[Payload, ...]:
    cases = [
        ("absolute URL", "https://{c}.example/"),
        ("scheme-relative URL", "//{c}.example/"),
        ("backslash URL", "/\\{c}.example/"),
    ]
    return tuple(_text(canaries(), label, template) for label, template in cases)


def _ssrf(canaries: Canaries) -> tuple[Payload, ...]:
    cases = [
        ("URL", "http://{c}.example/"),
        ("host name", "{c}.example"),
        ("scheme-relative URL", "//{c}.example/"),
    ]
    return tuple(_text(canaries(), label, template) for label, template in cases)


def _log(canaries: Canaries) -> tuple[Payload, ...]:
    cases = [("line feed", "{c}\n{c} forged entry"), ("carriage return", "{c}\r\n{c} forged entry")]
    return tuple(_text(canaries(), label, template) for label, template in cases)


def _plain(canaries: Canaries) -> tuple[Payload, ...]:
    """For oracles that watch where the input is kept or what runs, not how it is parsed."""
    return (_text(canaries(), "plain value", "{c}"),)


def _text(canary: str, label: str, template: str, content_type: str = "text/plain; charset=utf-8") -> Payload:
    return Payload(canary, template.format(c=canary), label, content_type)


def _pickle_global(canary: str) -> bytes:
    return b"c" + canary.encode("ascii") + b"\nattr\n."


_BY_CWE: dict[int, Callable[[Canaries], tuple[Payload, ...]]] = {
    22: _path,
    78: _command,
    79: _html,
    89: _sql,
    90: _ldap,
    94: _code,
    117: _log,
    328: _plain,
    330: _plain,
    501: _plain,
    502: _deserialize,
    601: _redirect,
    611: _xxe,
    614: _plain,
    643: _xpath,
    918: _ssrf,
    1004: _plain,
    1336: _template,
}
