"""py/insecure-cookie and py/cookie-without-httponly: cookies that travel in clear or to scripts."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass

from firstpatch.analysis.patterns.context import (
    UNKNOWN,
    FunctionNode,
    ModuleContext,
    assignment_targets,
    has_splat,
    keyword,
    last_name,
)
from firstpatch.analysis.patterns.localflow import mentioned
from firstpatch.analysis.patterns.registry import Hit, pattern_rule
from firstpatch.analysis.patterns.vocabulary import names_preference, names_secret, names_session, words
from firstpatch.model import Confidence, Severity

_SETTERS = frozenset({"set_cookie", "set_signed_cookie", "set_secure_cookie"})
# Werkzeug, Django and Starlette share `set_cookie(key, value, max_age, expires, path, domain,
# secure, httponly, samesite)`.
_POSITION = {"secure": 6, "httponly": 7}
_SECURE_SETTINGS = frozenset(
    {"SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "REMEMBER_COOKIE_SECURE", "JWT_COOKIE_SECURE"}
)
# Not CSRF_COOKIE_HTTPONLY: Django documents that scripts may need to read the CSRF cookie.
_HTTPONLY_SETTINGS = frozenset({"SESSION_COOKIE_HTTPONLY", "REMEMBER_COOKIE_HTTPONLY"})
_TRIGGERS = ("cookie", "COOKIE")


@dataclass(frozen=True, slots=True)
class _Cookie:
    call: ast.Call
    name: str  # as written: the constant, or the expression naming it
    sensitive: bool  # carries a session, auth, remember-me or secret value
    preference: bool  # its name says it holds a preference (theme, language, consent)
    script_readable: bool  # a CSRF token that the page's scripts must echo back
    flags: dict[str, object]  # "secure"/"httponly" → the constant given, UNKNOWN, or absent


@pattern_rule(
    "py/insecure-cookie",
    cwe=614,
    title="Sensitive cookie without the Secure attribute",
    severity=Severity.MEDIUM,
    confidence=Confidence.MEDIUM,
    triggers=_TRIGGERS,
)
def insecure_cookie(context: ModuleContext) -> Iterator[Hit]:
    """A cookie that authenticates (a session id, an auth or remember-me token, any secret) is
    set without the Secure attribute, so the browser also sends it over plain HTTP, where anyone
    on the network reads it and takes over the session.

    What counts: `set_cookie`, `set_signed_cookie` and `set_secure_cookie` calls (Flask and
    Werkzeug responses, Django `HttpResponse`, Starlette and FastAPI responses, Tornado handlers)
    with `secure=False` (or 0 or None), or without `secure` at all when the cookie is sensitive:
    by its name, by its value (the names the value is built from, through local variables), or
    by being signed (a server signs a cookie because it trusts it to say who the user is).
    An explicit `secure=False` on a cookie whose name says it holds a preference (theme,
    language, consent, ...) is not reported, nor is a `secure` given as a non-constant expression
    or through `**options`. Also the settings `SESSION_COOKIE_SECURE`, `CSRF_COOKIE_SECURE`,
    `REMEMBER_COOKIE_SECURE` and `JWT_COOKIE_SECURE` set to False, whether assigned in a Django
    settings module, into `app.config[...]`, or passed to `config.update(...)`. Test code is not
    checked.

    Fix: `secure=True` (and serve the site over HTTPS only), or the setting set to True."""
    yield from _checked(context, "secure", _SECURE_SETTINGS, "sent over plain HTTP")


@pattern_rule(
    "py/cookie-without-httponly",
    cwe=1004,
    title="Sensitive cookie without the HttpOnly attribute",
    severity=Severity.LOW,
    confidence=Confidence.MEDIUM,
    triggers=_TRIGGERS,
)
def cookie_without_httponly(context: ModuleContext) -> Iterator[Hit]:
    """A cookie that authenticates is set without the HttpOnly attribute, so any script on the
    page can read it: one cross-site scripting flaw then hands the session to the attacker.

    What counts: `set_cookie`, `set_signed_cookie` and `set_secure_cookie` calls with
    `httponly=False` (or 0 or None), or without `httponly` when the cookie is sensitive by its
    name or its value, as for py/insecure-cookie; preference cookies and CSRF-token cookies
    with an explicit `httponly=False` are left alone, since scripts are meant to read them. Also the settings
    `SESSION_COOKIE_HTTPONLY` and `REMEMBER_COOKIE_HTTPONLY` set to False. Test code is not
    checked.

    Fix: `httponly=True`, or the setting left at its default (True)."""
    yield from _checked(context, "httponly", _HTTPONLY_SETTINGS, "readable by scripts")


def _checked(context: ModuleContext, flag: str, settings: frozenset[str], exposure: str) -> Iterator[Hit]:
    for cookie in context.memo("cookies", None, lambda: list(_cookies(context))):
        given = cookie.flags.get(flag)
        if given is UNKNOWN:
            continue
        exempt = cookie.preference or (flag == "httponly" and cookie.script_readable)
        if flag in cookie.flags and not given and not exempt:
            yield Hit(
                cookie.call, f"The cookie {cookie.name} is set with {flag}={given!r}: it is {exposure}."
            )
        elif flag not in cookie.flags and cookie.sensitive:
            yield Hit(
                cookie.call,
                f"The cookie {cookie.name} carries a session or secret value and is set without "
                f"{flag}=True: it is {exposure}.",
            )
    yield from _settings(context, settings)


def _cookies(context: ModuleContext) -> Iterator[_Cookie]:
    for call, function, _ in context.nodes(ast.Call):
        if not (isinstance(call.func, ast.Attribute) and call.func.attr in _SETTERS):
            continue
        name_node = call.args[0] if call.args else keyword(call, "key") or keyword(call, "name")
        value_node = call.args[1] if len(call.args) > 1 else keyword(call, "value")
        name = _identifier(context, name_node, function)
        by_value = value_node is not None and any(
            names_session(word) or names_secret(word) for word in mentioned(context, value_node, function)
        )
        preference = names_preference(name)
        signed = call.func.attr != "set_cookie"  # a cookie is signed because the server trusts it
        sensitive = signed or names_session(name) or (by_value and not preference)
        flags: dict[str, object] = {}
        for flag, position in _POSITION.items():
            given = keyword(call, flag)
            if given is None and call.func.attr == "set_cookie" and len(call.args) > position:
                given = call.args[position]
            if given is not None:
                flags[flag] = context.constant(given, function)
            elif has_splat(call):
                flags[flag] = UNKNOWN
        shown = f"'{name}'" if name else "(unnamed)"
        script_readable = bool({"csrf", "xsrf", "csrftoken", "xsrftoken"} & set(words(name)))
        yield _Cookie(call, shown, sensitive, preference, script_readable, flags)


def _identifier(context: ModuleContext, node: ast.expr | None, function: FunctionNode | None) -> str:
    if node is None:
        return ""
    value = context.constant(node, function)
    if isinstance(value, str):
        return value
    return last_name(node) or ""


def _settings(context: ModuleContext, names: frozenset[str]) -> Iterator[Hit]:
    """Framework settings that turn the attribute off for the session cookie."""

    def off(value: ast.expr, function: FunctionNode | None) -> bool:
        given = context.constant(value, function)
        return given is not UNKNOWN and given is not None and not given and not isinstance(given, str)

    for node, function, _ in context.assignment_nodes():
        if node.value is None or isinstance(node, ast.AugAssign):
            continue
        for target in assignment_targets(node):
            if (setting := last_name(target)) in names and off(node.value, function):
                yield Hit(node, _setting_message(setting))
    for call, function, _ in context.nodes(ast.Call):
        for argument in call.keywords:
            if argument.arg in names and off(argument.value, function):
                yield Hit(argument.value, _setting_message(argument.arg))
    for mapping, function, _ in context.nodes(ast.Dict):
        for key, value in zip(mapping.keys, mapping.values, strict=True):
            named = key.value if isinstance(key, ast.Constant) else None
            if isinstance(named, str) and named in names and off(value, function):
                yield Hit(value, _setting_message(named))


def _setting_message(setting: str) -> str:
    attribute = "HttpOnly" if setting.endswith("HTTPONLY") else "Secure"
    return f"{setting} is set to False, so the cookie it governs is sent without {attribute}."
