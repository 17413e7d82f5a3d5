"""Where values go inside one function: a small def-use walk over its statements.

`ForwardFlow` follows values from the nodes a subclass seeds (a call to `random.choice`, say)
through assignments, attributes of names (`self.token`), f-strings, `str()`, slicing,
containers and method calls to the places
where the subclass looks (stores, calls, returns). Branches are joined, loop bodies run until
nothing new flows (at most twice), nested definitions are left to their own walk. This is
deliberately not the taint engine: no summaries, no call graph, just one scope.

`mentioned` is the cheaper, flow-insensitive question: which identifiers does an expression
involve, directly or through the local variables it reads.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterator

from firstpatch.analysis.patterns.context import FunctionNode, ModuleContext, last_name

Origins = frozenset[ast.AST]
Env = dict[str, Origins]
NOTHING: Origins = frozenset()

# Calls whose result says something about their argument without carrying it.
_OPAQUE_CALLS = frozenset({"len", "bool", "isinstance", "issubclass", "type", "id", "print", "callable"})
# Methods that put their arguments into the receiver.
_MUTATORS = frozenset(
    {"append", "extend", "add", "insert", "update", "appendleft", "extendleft", "setdefault"}
)
_MAX_STATEMENTS = 100_000  # a walk budget per scope: pathological nesting ends, it does not hang


class ForwardFlow:
    """Walks one scope; subclasses seed origins and look at stores, calls, dicts and returns."""

    def __init__(self) -> None:
        self._budget = _MAX_STATEMENTS

    # ---- hooks ---------------------------------------------------------------------------
    def seed(self, call: ast.Call, env: Env) -> Origins:
        """Origins a call creates."""
        return NOTHING

    def on_call(self, call: ast.Call, env: Env) -> None:
        """Called for every call evaluated, before its own origins are known."""

    def on_dict(self, node: ast.Dict, env: Env) -> None:
        """Called for every dict display evaluated."""

    def on_store(self, target: ast.expr, origins: Origins, statement: ast.stmt) -> None:
        """Called for every assignment target, with what the assigned value carries."""

    def on_return(self, statement: ast.Return, origins: Origins) -> None:
        """Called for every return statement."""

    # ---- values --------------------------------------------------------------------------
    def origins(self, expr: ast.expr | None, env: Env) -> Origins:
        """What an expression's value carries; fires the hooks of calls and dicts inside it."""
        if expr is None:
            return NOTHING
        found: set[ast.AST] = set()
        stack: list[tuple[ast.AST, bool]] = [(expr, True)]
        while stack:
            node, live = stack.pop()
            if isinstance(node, ast.Lambda):
                continue  # runs later, if ever
            if isinstance(node, ast.Name):
                if live and isinstance(node.ctx, ast.Load):
                    found.update(env.get(node.id, NOTHING))
                continue
            if live and isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
                found.update(env.get(f"{node.value.id}.{node.attr}", NOTHING))
            if isinstance(node, ast.NamedExpr):
                value = self.origins(node.value, env)
                _set(env, node.target.id, value)
                if live:
                    found.update(value)
                continue
            children_live = live
            if isinstance(node, ast.Call):
                self.on_call(node, env)
                if live:
                    found.update(self.seed(node, env))
                if isinstance(node.func, ast.Name) and node.func.id in _OPAQUE_CALLS:
                    children_live = False
            elif isinstance(node, ast.Compare):
                children_live = False  # a comparison yields a bool, not its operands
            elif isinstance(node, ast.Dict):
                self.on_dict(node, env)
            stack.extend((child, children_live) for child in ast.iter_child_nodes(node))
        return frozenset(found)

    # ---- statements ------------------------------------------------------------------------
    def run(self, body: list[ast.stmt], env: Env) -> Env:
        for statement in body:
            if self._budget <= 0:
                break
            self._budget -= 1
            self._statement(statement, env)
        return env

    def _statement(self, statement: ast.stmt, env: Env) -> None:
        match statement:
            case ast.Assign(targets=targets, value=value):
                carried = self.origins(value, env)
                for target in targets:
                    self._store(target, carried, env, statement)
            case ast.AnnAssign(target=target, value=value) if value is not None:
                self._store(target, self.origins(value, env), env, statement)
            case ast.AugAssign(target=target, value=value):
                carried = self.origins(value, env) | self.origins(_as_load(target), env)
                self._store(target, carried, env, statement)
            case ast.Return(value=value):
                self.on_return(statement, self.origins(value, env))
            case ast.Expr(value=value):
                self.origins(value, env)
                self._mutation(value, env)
            case ast.If(test=test, body=body, orelse=orelse):
                self.origins(test, env)
                _replace(env, _join(self.run(body, dict(env)), self.run(orelse, dict(env))))
            case (
                ast.For(target=target, iter=iterable, body=body, orelse=orelse)
                | ast.AsyncFor(target=target, iter=iterable, body=body, orelse=orelse)
            ):
                carried = self.origins(iterable, env)
                self._loop(body, env, lambda scope: self._store(target, carried, scope, statement))
                self.run(orelse, env)
            case ast.While(test=test, body=body, orelse=orelse):
                self._loop(body, env, lambda scope: self.origins(test, scope))
                self.run(orelse, env)
            case ast.With(items=items, body=body) | ast.AsyncWith(items=items, body=body):
                for item in items:
                    carried = self.origins(item.context_expr, env)
                    if item.optional_vars is not None:
                        self._store(item.optional_vars, carried, env, statement)
                self.run(body, env)
            case (
                ast.Try(body=body, handlers=handlers, orelse=orelse, finalbody=finalbody)
                | ast.TryStar(body=body, handlers=handlers, orelse=orelse, finalbody=finalbody)
            ):
                after = self.run(body, dict(env))
                outcomes = [self.run(orelse, dict(after))]
                for handler in handlers:
                    outcomes.append(self.run(handler.body, _join(env, after)))
                _replace(env, _join(*outcomes))
                self.run(finalbody, env)
            case ast.Match(subject=subject, cases=cases):
                self.origins(subject, env)
                outcomes = [dict(env)]
                for case in cases:
                    if case.guard is not None:
                        self.origins(case.guard, env)
                    outcomes.append(self.run(case.body, dict(env)))
                _replace(env, _join(*outcomes))
            case ast.Delete(targets=targets):
                for target in targets:
                    if isinstance(target, ast.Name):
                        env.pop(target.id, None)
            case ast.FunctionDef() | ast.AsyncFunctionDef() | ast.ClassDef():
                pass  # a scope of its own
            case _:
                for child in ast.iter_child_nodes(statement):
                    if isinstance(child, ast.expr):
                        self.origins(child, env)

    def _loop(self, body: list[ast.stmt], env: Env, enter: Callable[[Env], object]) -> None:
        """Run a loop body, and once more when the first run let something new flow."""
        for _ in range(2):
            before = dict(env)
            scope = dict(env)
            enter(scope)
            _replace(env, _join(env, self.run(body, scope)))
            if env == before:
                break

    def _store(self, target: ast.expr, carried: Origins, env: Env, statement: ast.stmt) -> None:
        self.on_store(target, carried, statement)
        match target:
            case ast.Name(id=name):
                for path in [key for key in env if key.startswith(f"{name}.")]:
                    del env[path]  # a new object: its old attributes are gone
                _set(env, name, carried)
            case ast.Attribute(value=ast.Name(id=name), attr=attr):
                _set(env, f"{name}.{attr}", carried)  # `self.token = ...` taints that attribute only
            case ast.Tuple(elts=elements) | ast.List(elts=elements):
                for element in elements:
                    self._store(element, carried, env, statement)
            case ast.Starred(value=value):
                self._store(value, carried, env, statement)
            case ast.Attribute(value=base) | ast.Subscript(value=base):
                if isinstance(target, ast.Subscript):
                    self.origins(target.slice, env)
                self.origins(base, env)
                root = _root(target)
                if root is not None and carried:  # the container now holds the value
                    _set(env, root, env.get(root, NOTHING) | carried)

    def _mutation(self, value: ast.expr, env: Env) -> None:
        if not (isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute)):
            return
        if value.func.attr not in _MUTATORS:
            return
        root = _root(value.func.value)
        if root is None:
            return
        carried = frozenset().union(*(self.origins(arg, env) for arg in value.args))
        carried |= frozenset().union(*(self.origins(k.value, env) for k in value.keywords))
        if carried:
            _set(env, root, env.get(root, NOTHING) | carried)


def _root(expr: ast.expr) -> str | None:
    while isinstance(expr, ast.Attribute | ast.Subscript):
        expr = expr.value
    return expr.id if isinstance(expr, ast.Name) else None


def _as_load(target: ast.expr) -> ast.expr:
    return ast.Name(target.id, ast.Load()) if isinstance(target, ast.Name) else target


def _set(env: Env, name: str, carried: Origins) -> None:
    if carried:
        env[name] = carried
    else:
        env.pop(name, None)


def _join(*envs: Env) -> Env:
    joined: Env = {}
    for env in envs:
        for name, carried in env.items():
            joined[name] = joined.get(name, NOTHING) | carried
    return joined


def _replace(env: Env, new: Env) -> None:
    env.clear()
    env.update(new)


def mentioned(
    context: ModuleContext, expr: ast.expr, function: FunctionNode | None, depth: int = 3
) -> set[str]:
    """Identifiers an expression involves: names, attributes, called functions and constant keys
    (`request.form["password"]` → request, form, password), followed through what the scope's
    local variables are assigned, `depth` assignments deep."""
    found: set[str] = set()
    pending: list[tuple[ast.expr, int]] = [(expr, depth)]
    seen: set[str] = set()
    assignments = context.assignments(function)
    while pending:
        current, left = pending.pop()
        for name in _identifiers(current):
            found.add(name)
            if left > 0 and name not in seen and name in assignments:
                seen.add(name)
                pending.extend((value, left - 1) for value in assignments[name])
    return found


def _identifiers(expr: ast.expr) -> Iterator[str]:
    for node in ast.walk(expr):
        if isinstance(node, ast.Name):
            yield node.id
        elif isinstance(node, ast.Attribute):
            yield node.attr
        elif isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant):
            if isinstance(node.slice.value, str):
                yield node.slice.value
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            name = last_name(node.func)
            if name in ("get", "getlist", "pop", "getenv") and isinstance(node.args[0].value, str):
                yield node.args[0].value  # request.form.get("password")
