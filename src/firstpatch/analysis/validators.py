"""Calls whose true result proves an argument safe: the modelled validators
(`url_has_allowed_host_and_scheme`), and project functions that are checks — `def
is_own_url(target): return urlparse(target).netloc in OWN_HOSTS` proves its argument safe to
redirect to wherever it returned true."""

from __future__ import annotations

import ast
from collections.abc import Callable
from typing import TYPE_CHECKING

from firstpatch.analysis import guards
from firstpatch.analysis.calls import project_callee
from firstpatch.analysis.models import ALL_CWES
from firstpatch.analysis.program import Function, dotted_name
from firstpatch.analysis.syntax import access_path

if TYPE_CHECKING:
    from firstpatch.analysis.flow import FunctionFlow

URL_PARSERS = frozenset({"urllib.parse.urlparse", "urllib.parse.urlsplit", "urlparse.urlparse"})
URL_HOST_PARTS = frozenset({"netloc", "hostname"})

Proves = tuple[tuple[int, frozenset[int]], ...]


def validated(flow: FunctionFlow, call: ast.Call) -> guards.Facts:
    """What `call` proves of the arguments it was given, when its result is true."""
    name = flow.dotted(call.func)
    validator = flow.catalog.validators.get(name) if name else None
    if validator is None:
        return _checked_by_project(flow, call, name)
    arg = call.args[validator.arg] if validator.arg < len(call.args) else None
    arg = next((k.value for k in call.keywords if validator.keyword and k.arg == validator.keyword), arg)
    path = access_path(arg) if arg is not None else None
    return [(path, validator.cwes)] if path else []


def _checked_by_project(flow: FunctionFlow, call: ast.Call, name: str | None) -> guards.Facts:
    callee = project_callee(flow, name, call.func)
    if callee is None:
        return []
    function, implicit = callee
    module = function.module
    facts: guards.Facts = []
    for index, cwes in proves(function, lambda node: dotted_name(node, module, flow.catalog)):
        position = index - implicit
        given = call.args[position] if 0 <= position < len(call.args) else None
        given = next((k.value for k in call.keywords if k.arg == function.params[index]), given)
        if given is not None and (path := access_path(given)) is not None:
            facts.append((path, cwes))
    return facts


def proves(function: Function, dotted: Callable[[ast.expr], str | None]) -> Proves:
    """(parameter index, CWEs) for each parameter the function proves safe when it returns a
    true value; only a function whose whole body is `return <condition>` is read as a check.
    `dotted` names a callee in the function's module. Computed once per function."""
    if function.proves is None:
        function.proves = _proves(function, dotted)
    return function.proves


def _proves(function: Function, dotted: Callable[[ast.expr], str | None]) -> Proves:
    body = function.node.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]  # the docstring
    if len(body) != 1 or not isinstance(body[0], ast.Return) or body[0].value is None:
        return ()
    params = function.params

    def path_of(node: ast.expr) -> str | None:
        # urlparse(target).netloc: the host of a parameter
        if (
            isinstance(node, ast.Attribute)
            and node.attr in URL_HOST_PARTS
            and isinstance(node.value, ast.Call)
            and node.value.args
            and dotted(node.value.func) in URL_PARSERS
        ):
            inner = access_path(node.value.args[0])
            return f"{inner}.{node.attr}" if inner in params else None
        path = access_path(node)
        return path if path in params else None

    when_true, _ = guards.facts(body[0].value, function.module.constants, path_of)
    proven: dict[int, frozenset[int]] = {}
    for path, cwes in when_true:
        name, _, part = path.partition(".")
        if not part:
            proven[params.index(name)] = cwes
        elif part in URL_HOST_PARTS:
            # An allowed host makes the URL safe to follow, not safe for everything.
            proven[params.index(name)] = guards.URL_CWES if cwes == ALL_CWES else cwes & guards.URL_CWES
    return tuple((index, cwes) for index, cwes in proven.items() if cwes)
