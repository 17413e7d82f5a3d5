"""What a condition proves about the variables it tests, on each branch.

`if name in ALLOWED:`, `if value.isdigit():`, `if not str(p).startswith(str(base)): return`,
`if url.netloc not in HOSTS: abort(400)` all sanitise a variable on one side of the branch.
A fact is (access path, CWEs the value is now safe for).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Mapping

from firstpatch.analysis.models import ALL_CWES, INJECTION_CWES

Fact = tuple[str, frozenset[int]]
Facts = list[Fact]
PATH_CWES = frozenset({22})
URL_CWES = frozenset({601, 918})
_CHARACTER_CLASS_CHECKS = frozenset(
    {"isalnum", "isalpha", "isdigit", "isdecimal", "isnumeric", "isidentifier"}
)
_PATH_WRAPPERS = frozenset({"str", "realpath", "abspath", "normpath", "resolve", "absolute", "fspath"})
_SAFE_PATTERN = re.compile(r"^\^?(\[[\w\-]*\]|\\[dw]|[\w\-])+([*+?]|\{\d+(,\d*)?\})?\$?$")

PathOf = Callable[[ast.expr], str | None]
Validated = Callable[[ast.Call], Facts]  # facts a call to a modelled validator proves when true


def facts(
    test: ast.expr, consts: Mapping[str, object], path_of: PathOf, validated: Validated | None = None
) -> tuple[Facts, Facts]:
    """(facts when `test` is true, facts when it is false)."""
    match test:
        case ast.UnaryOp(op=ast.Not(), operand=operand):
            when_true, when_false = facts(operand, consts, path_of, validated)
            return when_false, when_true
        case ast.BoolOp(op=ast.And(), values=values):
            parts = [facts(v, consts, path_of, validated) for v in values]
            return [f for true, _ in parts for f in true], _common([false for _, false in parts])
        case ast.BoolOp(op=ast.Or(), values=values):
            parts = [facts(v, consts, path_of, validated) for v in values]
            when_false = [f for _, false in parts for f in false] + _quoted_literal(values, path_of)
            return _common([true for true, _ in parts]), when_false
        case ast.Compare(left=left, ops=[op], comparators=[right]):
            return _comparison(left, op, right, consts, path_of)
        case ast.Call() if validated is not None and (proven := validated(test)):
            return proven, []
        case ast.Call(func=ast.Attribute(attr=attr, value=receiver), args=args):
            return _method_check(attr, receiver, args, path_of), []
        case ast.Call(func=func, args=[*args]) if (
            _call_name(func) in ("fullmatch", "match") and len(args) >= 2
        ):
            pattern = args[0]
            if isinstance(pattern, ast.Constant) and isinstance(pattern.value, str):
                path = path_of(args[1])
                if path and _SAFE_PATTERN.match(pattern.value) and _anchored(pattern.value, func):
                    return [(path, INJECTION_CWES)], []
        case ast.Name() | ast.Attribute() | ast.Subscript() if (path := path_of(test)) is not None:
            # `if not next_url: ...`: on the false side the value is empty (or None), which
            # carries nothing an attacker wrote.
            return [], [(path, ALL_CWES)]
        case ast.Call(func=ast.Name(id="isinstance"), args=[subject, kind]):
            path = path_of(subject)
            if path and isinstance(kind, ast.Name) and kind.id in ("int", "float", "bool"):
                return [(path, ALL_CWES)], []
    return [], []


def _quoted_literal(values: list[ast.expr], path_of: PathOf) -> Facts:
    """`not x.startswith(q) or not x.endswith(q) or q in x[1:-1]` rejects all but one quoted
    string literal: when the whole test is false, `x` is safe to evaluate (CWE-94)."""
    seen: dict[tuple[str, str], set[str]] = {}
    for value in values:
        match value:
            case ast.UnaryOp(
                op=ast.Not(),
                operand=ast.Call(
                    func=ast.Attribute(attr="startswith" | "endswith" as end, value=subject),
                    args=[ast.Constant(value=str() as quote)],
                ),
            ) if quote in ("'", '"'):
                if path := path_of(subject):
                    seen.setdefault((path, quote), set()).add(end)
            case ast.Compare(
                left=ast.Constant(value=str() as quote),
                ops=[ast.In()],
                comparators=[ast.Subscript(value=subject, slice=ast.Slice())],
            ) if quote in ("'", '"'):
                if path := path_of(subject):
                    seen.setdefault((path, quote), set()).add("inside")
    return [
        (path, frozenset({94}))
        for (path, _), ends in seen.items()
        if ends == {"startswith", "endswith", "inside"}
    ]


def _comparison(
    left: ast.expr, op: ast.cmpop, right: ast.expr, consts: Mapping[str, object], path_of: PathOf
) -> tuple[Facts, Facts]:
    if isinstance(op, ast.In | ast.NotIn) and isinstance(left, ast.Constant) and isinstance(left.value, str):
        # A deny-list check: `if "../" in name: reject`. The value is safe, on the side where
        # the token is absent, for the contexts that token is needed to break out of.
        cwes = _denied(left.value)
        path = path_of(right)
        if cwes and path:
            fact = [(path, cwes)]
            return ([], fact) if isinstance(op, ast.In) else (fact, [])
        return [], []
    path = path_of(left)
    if path is None:
        return [], []
    if isinstance(op, ast.In | ast.NotIn) and _constant_collection(right, consts):
        fact = [(path, ALL_CWES)]
        return (fact, []) if isinstance(op, ast.In) else ([], fact)
    if isinstance(op, ast.Eq | ast.NotEq | ast.Is | ast.IsNot) and _constant(right, consts):
        fact = [(path, ALL_CWES)]
        return (fact, []) if isinstance(op, ast.Eq | ast.Is) else ([], fact)
    return [], []


_DENY_TOKENS: dict[str, frozenset[int]] = {
    "..": frozenset({22}),
    "../": frozenset({22}),
    "..\\": frozenset({22}),
    "'": frozenset({89, 643}),  # quoted SQL and XPath literals
    '"': frozenset({89, 643}),
    "<": frozenset({79}),
}


def _denied(token: str) -> frozenset[int]:
    return _DENY_TOKENS.get(token, frozenset())


# Replacing these removes what a payload needs; ".." is not among them ("....//" → "../").
_REPLACED_TOKENS = {"'": frozenset({89, 643}), '"': frozenset({89, 643}), "<": frozenset({79})}


def replaced(token: object, replacement: object) -> frozenset[int]:
    """CWEs `value.replace(token, replacement)` makes the value safe for."""
    if not isinstance(token, str) or not isinstance(replacement, str) or token in replacement:
        return frozenset()
    return _REPLACED_TOKENS.get(token, frozenset())


def _method_check(attr: str, receiver: ast.expr, args: list[ast.expr], path_of: PathOf) -> Facts:
    if attr in _CHARACTER_CLASS_CHECKS and (path := path_of(receiver)):
        return [(path, INJECTION_CWES)]
    if attr in ("startswith", "is_relative_to") and args:
        path = path_of(_unwrap_path(receiver))
        return [(path, PATH_CWES)] if path else []
    return []


def _unwrap_path(node: ast.expr) -> ast.expr:
    """`str(p)`, `os.path.realpath(p)`, `p.resolve()` all test `p`."""
    while isinstance(node, ast.Call):
        name = _call_name(node.func)
        if name not in _PATH_WRAPPERS:
            break
        if isinstance(node.func, ast.Attribute) and not node.args and name in ("resolve", "absolute"):
            node = node.func.value
        elif node.args:
            node = node.args[0]
        else:
            break
    return node


def _call_name(func: ast.expr) -> str:
    if isinstance(func, ast.Attribute):
        return func.attr
    return func.id if isinstance(func, ast.Name) else ""


def _anchored(pattern: str, func: ast.expr) -> bool:
    return _call_name(func) == "fullmatch" or (pattern.endswith("$") and not pattern.endswith("\\$"))


def _constant(node: ast.expr, consts: Mapping[str, object]) -> bool:
    return isinstance(node, ast.Constant) or (isinstance(node, ast.Name) and node.id in consts)


def _constant_collection(node: ast.expr, consts: Mapping[str, object]) -> bool:
    if isinstance(node, ast.List | ast.Tuple | ast.Set):
        return all(isinstance(e, ast.Constant) for e in node.elts)
    if isinstance(node, ast.Dict):
        return all(isinstance(k, ast.Constant) for k in node.keys)
    return isinstance(node, ast.Name) and isinstance(consts.get(node.id), tuple | frozenset)


def _common(alternatives: list[Facts]) -> Facts:
    """Facts that hold whichever alternative held: each path's CWEs in all of them."""
    if not alternatives:
        return []
    shared: dict[str, frozenset[int]] = dict(alternatives[0])
    for other in alternatives[1:]:
        theirs = dict(other)
        shared = {path: _both(cwes, theirs[path]) for path, cwes in shared.items() if path in theirs}
    return list(shared.items())


def _both(first: frozenset[int], second: frozenset[int]) -> frozenset[int]:
    """CWEs cleared on both paths (the sentinels stand for "all" and "all but CWE-501")."""
    if first == ALL_CWES:
        return second
    if second in (ALL_CWES, first):
        return first
    if first == INJECTION_CWES:
        return second - {501}
    if second == INJECTION_CWES:
        return first - {501}
    return first & second
