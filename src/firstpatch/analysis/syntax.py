"""What a piece of syntax says on its own, without any taint: the access path an expression
names, how a block ends, which `match` case a constant takes, which names a function binds."""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping

from firstpatch.analysis import containers
from firstpatch.analysis.constants import UNKNOWN, fold

TERMINATORS = frozenset({"abort", "exit", "_exit", "fail"})  # calls that end a request or a program


def access_path(node: ast.expr | None, consts: Mapping[str, object] | None = None) -> str | None:
    """ "x", "x.attr", "x['k']", "x[0]" — or None when a part is computed."""
    match node:
        case ast.Name(id=name):
            return name
        case ast.Attribute(value=value, attr=attr):
            base = access_path(value, consts)
            return f"{base}.{attr}" if base is not None else None
        case ast.Subscript(value=value, slice=index) if not isinstance(index, ast.Slice):
            key = fold(index, consts or {})
            base = access_path(value, consts)
            if base is not None and isinstance(key, str | int | tuple) and not isinstance(key, bool):
                return containers.key_path(base, key)
    return None


def root_name(node: ast.expr) -> str | None:
    while isinstance(node, ast.Attribute | ast.Subscript | ast.Call):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node.id if isinstance(node, ast.Name) else None


def injected(node: ast.FunctionDef | ast.AsyncFunctionDef, name: str) -> bool:
    """A FastAPI parameter filled by dependency injection (`x = Depends(...)`), not the request."""
    arguments = node.args
    positional = [*arguments.posonlyargs, *arguments.args]
    defaults = dict(
        zip(
            [a.arg for a in positional][len(positional) - len(arguments.defaults) :],
            arguments.defaults,
            strict=True,
        )
    )
    defaults.update(
        {a.arg: d for a, d in zip(arguments.kwonlyargs, arguments.kw_defaults, strict=True) if d is not None}
    )
    default = defaults.get(name)
    return isinstance(default, ast.Call) and ast.unparse(default.func).endswith(("Depends", "Security"))


def is_static_method(node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    return any(isinstance(d, ast.Name) and d.id == "staticmethod" for d in node.decorator_list)


def ends(body: list[ast.stmt]) -> str | None:
    """How a block always leaves: "exit" (return, raise, abort()), "loop" (break, continue),
    or None when it can fall through."""
    if not body:
        return None
    last = body[-1]
    if isinstance(last, ast.Return | ast.Raise):
        return "exit"
    if isinstance(last, ast.Continue | ast.Break):
        return "loop"
    if isinstance(last, ast.Expr) and isinstance(last.value, ast.Call):
        func = last.value.func
        name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
        return "exit" if name in TERMINATORS else None
    if isinstance(last, ast.If):
        first, second = ends(last.body), ends(last.orelse)
        return (first if first == second else "loop") if first and second else None
    return None


def case_matches(case: ast.match_case, value: object) -> bool | None:
    """Whether a case matches a constant subject: True, False, or None when unknown."""
    if case.guard is not None:
        return None if value is UNKNOWN or pattern_matches(case.pattern, value) is not False else False
    if value is UNKNOWN:
        return True if is_wildcard(case.pattern) else None
    return pattern_matches(case.pattern, value)


def pattern_matches(pattern: ast.pattern, value: object) -> bool | None:
    match pattern:
        case ast.MatchValue(value=ast.Constant(value=expected)):
            return bool(value == expected)
        case ast.MatchSingleton(value=expected):
            return value is expected
        case ast.MatchOr(patterns=patterns):
            results = [pattern_matches(p, value) for p in patterns]
            return True if True in results else (None if None in results else False)
        case ast.MatchAs(pattern=None):
            return True
        case ast.MatchAs(pattern=inner) if inner is not None:
            return pattern_matches(inner, value)
    return None


def is_wildcard(pattern: ast.pattern) -> bool:
    return isinstance(pattern, ast.MatchAs) and pattern.pattern is None


def assigned_names(stmt: ast.stmt) -> Iterator[str]:
    for node in ast.walk(stmt):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            yield node.id
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            root = root_name(node.func.value)
            if root:
                yield root  # lst.append(x) in a loop: the list's shape is not known after it


def child_exprs(node: ast.AST) -> Iterator[ast.expr]:
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.expr):
            yield child
        elif isinstance(child, ast.keyword | ast.comprehension):
            yield from child_exprs(child)


def pattern_names(pattern: ast.pattern) -> Iterator[str]:
    for node in ast.walk(pattern):
        if isinstance(node, ast.MatchAs | ast.MatchStar) and node.name:
            yield node.name
        elif isinstance(node, ast.MatchMapping) and node.rest:
            yield node.rest


_DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


def local_names(node: ast.FunctionDef | ast.AsyncFunctionDef) -> frozenset[str]:
    """Parameters and every name the body binds (not counting nested definitions' own), less
    those it declares `global` or `nonlocal` (anywhere in the body, as Python reads them).

    Every function is walked once, so the walk reads each node's fields directly rather than
    through `ast.walk`, which costs several times more per node."""
    names = {a.arg for a in ast.walk(node.args) if isinstance(a, ast.arg)}
    declared: set[str] = set()
    stack: list[ast.AST] = list(node.body)
    while stack:
        current = stack.pop()
        if isinstance(current, ast.Name):
            if isinstance(current.ctx, ast.Store):
                names.add(current.id)
            continue
        if isinstance(current, _DEFINITIONS):
            names.add(current.name)
            continue
        if isinstance(current, ast.Global | ast.Nonlocal):
            declared.update(current.names)
            continue
        for field in current._fields:
            value = getattr(current, field, None)
            if isinstance(value, list):
                stack.extend(item for item in value if isinstance(item, ast.AST))
            elif isinstance(value, ast.AST):
                stack.append(value)
    return frozenset(names - declared)
