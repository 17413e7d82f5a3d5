"""Taint through one function body, using callees' summaries at call sites.

Flow-sensitive over straight-line code (a value overwritten before use carries no taint),
both branches of a condition joined unless the condition is a constant, loops run twice.
Variables are tracked by access path ("d['k']", "obj.attr", "args[0]") so that constant keys,
indices and attributes keep their own taint.
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field

from firstpatch.analysis.models import Catalog, SinkModel, SourceModel
from firstpatch.analysis.program import Function, Module, Program, dotted_name
from firstpatch.analysis.taint import (
    CLEAN,
    Flow,
    Label,
    ParamOrigin,
    ParamSink,
    SinkSite,
    SourceOrigin,
    Summary,
    Taint,
    extend,
    join,
)
from firstpatch.model import InputKind, Location, Step, StepKind

Env = dict[str, Taint]
_MAPPING_READS = frozenset({"get", "getlist", "get_all", "pop", "setdefault", "getone"})
_COMPARE = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.In: lambda a, b: a in b,
    ast.NotIn: lambda a, b: a not in b,
    ast.Is: operator.is_,
    ast.IsNot: operator.is_not,
}


def location(module: Module, node: ast.AST, *, whole_line: bool = False) -> Location:
    """1-based line and character columns (end exclusive) from ast's UTF-8 byte offsets."""
    line = getattr(node, "lineno", 0)
    end_line = getattr(node, "end_lineno", None) or line
    text = module.lines[line - 1] if 0 < line <= len(module.lines) else ""
    end_text = module.lines[end_line - 1] if 0 < end_line <= len(module.lines) else ""
    column = _char_column(text, getattr(node, "col_offset", 0))
    end_column = _char_column(end_text, getattr(node, "end_col_offset", None) or 0)
    snippet = text.strip() if whole_line else source_text(module, node)
    return Location(module.path, line, column, end_line, end_column, snippet[:300])


def _char_column(text: str, byte_offset: int) -> int:
    return len(text.encode("utf-8")[:byte_offset].decode("utf-8", errors="ignore")) + 1


def source_text(module: Module, node: ast.AST) -> str:
    line, end_line = getattr(node, "lineno", 0), getattr(node, "end_lineno", 0)
    if not line or not end_line:
        return ""
    chunk = "\n".join(module.lines[line - 1 : end_line]).encode("utf-8")
    last = len("\n".join(module.lines[line - 1 : end_line - 1]).encode("utf-8")) + (end_line > line)
    return chunk[getattr(node, "col_offset", 0) : last + (getattr(node, "end_col_offset", 0) or 0)].decode(
        "utf-8", errors="replace"
    )


def constant_truth(test: ast.expr) -> bool | None:
    """The truth of a condition built only from literals, else None."""
    try:
        return bool(_fold(test))
    except (ValueError, TypeError, ArithmeticError):
        return None


def _fold(node: ast.expr) -> object:
    match node:
        case ast.Constant(value=value):
            return value
        case ast.UnaryOp(op=ast.Not(), operand=operand):
            return not _fold(operand)
        case ast.BoolOp(op=ast.And(), values=values):
            return all(_fold(v) for v in values)
        case ast.BoolOp(op=ast.Or(), values=values):
            return any(_fold(v) for v in values)
        case ast.Compare(left=left, ops=ops, comparators=comparators):
            current = _fold(left)
            for op, right in zip(ops, comparators, strict=True):
                folded = _fold(right)
                if not _COMPARE[type(op)](current, folded):
                    return False
                current = folded
            return True
        case ast.BinOp(left=left, op=op, right=right) if type(op) in _ARITHMETIC:
            return _ARITHMETIC[type(op)](_fold(left), _fold(right))
    raise ValueError("not constant")


_ARITHMETIC: dict[type[ast.operator], Callable[[object, object], object]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Mod: operator.mod,
    ast.FloorDiv: operator.floordiv,
}


@dataclass
class FunctionResult:
    summary: Summary
    flows: list[Flow] = field(default_factory=list)
    callees: set[str] = field(default_factory=set)


class FunctionFlow:
    """Analyses one function against the current summaries of the functions it calls."""

    def __init__(
        self, function: Function, program: Program, catalog: Catalog, summaries: Mapping[str, Summary]
    ) -> None:
        self.function = function
        self.module = function.module
        self.program = program
        self.catalog = catalog
        self.summaries = summaries
        self.returns: Taint = CLEAN
        self.param_sinks: set[ParamSink] = set()
        self.result = FunctionResult(Summary())
        self.locals = _local_names(function.node)
        self.route = function.routes[0] if function.routes else None

    # ---- entry -------------------------------------------------------------------------
    def run(self) -> FunctionResult:
        env: Env = {}
        params = self.function.params
        for index, name in enumerate(params):
            env[name] = frozenset({Label(ParamOrigin(index))})
        for route in self.function.routes:
            for name in route.path_params:
                if name in params:
                    env[name] = self._path_param_source(name, route.framework)
        self._block(self.function.node.body, env)
        self.result.summary = Summary(self.returns, frozenset(self.param_sinks))
        return self.result

    def _path_param_source(self, name: str, framework: str) -> Taint:
        node = self.function.node
        model = SourceModel(f"{framework}.route.{name}", "value", InputKind.PATH, framework)
        here = location(self.module, node)
        origin = SourceOrigin(model, name, self.function.qualname, here, f"<{name}>")
        step = Step(StepKind.SOURCE, here, f"path parameter <{name}> of {node.name}")
        return frozenset({Label(origin, steps=(step,))})

    # ---- statements ----------------------------------------------------------------------
    def _block(self, body: list[ast.stmt], env: Env) -> None:
        for stmt in body:
            self._stmt(stmt, env)

    def _stmt(self, stmt: ast.stmt, env: Env) -> None:
        match stmt:
            case ast.Assign(targets=targets, value=value):
                taint = self._expr(value, env)
                for target in targets:
                    self._assign(target, value, taint, env)
            case ast.AnnAssign(target=target, value=value) if value is not None:
                self._assign(target, value, self._expr(value, env), env)
            case ast.AugAssign(target=target, value=value):
                taint = join(self._expr(target, env), self._expr(value, env))
                self._assign(target, value, taint, env)
            case ast.Expr(value=value):
                self._expr(value, env)
            case ast.Return(value=value) if value is not None:
                self._return(value, env)
            case ast.If(test=test, body=body, orelse=orelse):
                self._expr(test, env)
                self._branches(test, body, orelse, env)
            case ast.While(test=test, body=body, orelse=orelse):
                if constant_truth(test) is False:
                    self._block(orelse, env)
                    return
                for _ in range(2):
                    self._expr(test, env)
                    self._block(body, env)
                self._block(orelse, env)
            case (
                ast.For(target=target, iter=iterable, body=body, orelse=orelse)
                | ast.AsyncFor(target=target, iter=iterable, body=body, orelse=orelse)
            ):
                taint = self._expr(iterable, env)
                for _ in range(2):
                    self._assign(target, None, taint, env)
                    self._block(body, env)
                self._block(orelse, env)
            case ast.With(items=items, body=body) | ast.AsyncWith(items=items, body=body):
                for item in items:
                    taint = self._expr(item.context_expr, env)
                    if item.optional_vars is not None:
                        self._assign(item.optional_vars, None, taint, env)
                self._block(body, env)
            case (
                ast.Try(body=body, handlers=handlers, orelse=orelse, finalbody=finalbody)
                | ast.TryStar(body=body, handlers=handlers, orelse=orelse, finalbody=finalbody)
            ):
                self._block(body, env)
                after = dict(env)
                for handler in handlers:
                    branch = dict(env)
                    self._block(handler.body, branch)
                    _merge_into(after, branch)
                self._block(orelse, after)
                self._block(finalbody, after)
                env.clear()
                env.update(after)
            case ast.Match(subject=subject, cases=cases):
                taint = self._expr(subject, env)
                joined: Env = {}
                for case in cases:
                    branch = dict(env)
                    for name in _pattern_names(case.pattern):
                        branch[name] = taint
                    self._block(case.body, branch)
                    _merge_into(joined, branch)
                env.clear()
                env.update(joined)
            case ast.Delete(targets=targets):
                for target in targets:
                    if (path := _access_path(target)) is not None:
                        _forget(env, path)
            case _:
                pass  # nested definitions are analysed as functions of their own

    def _branches(self, test: ast.expr, body: list[ast.stmt], orelse: list[ast.stmt], env: Env) -> None:
        truth = constant_truth(test)
        if truth is not None:  # a branch that can never run carries no taint
            self._block(body if truth else orelse, env)
            return
        other = dict(env)
        self._block(body, env)
        self._block(orelse, other)
        _merge_into(env, other)

    def _assign(self, target: ast.expr, value: ast.expr | None, taint: Taint, env: Env) -> None:
        if isinstance(target, ast.Tuple | ast.List):
            values = value.elts if isinstance(value, ast.Tuple | ast.List) else None
            for index, element in enumerate(target.elts):
                if values is not None and len(values) == len(target.elts):
                    self._assign(element, values[index], self._expr(values[index], env), env)
                else:
                    self._assign(element, None, taint, env)
            return
        if isinstance(target, ast.Starred):
            self._assign(target.value, None, taint, env)
            return
        path = _access_path(target)
        if path is None:  # x[i] = v with a computed i: the container as a whole gets tainted
            root = _root_name(target)
            if root is not None:
                env[root] = join(env.get(root, CLEAN), taint)
            return
        step = Step(StepKind.PROPAGATION, location(self.module, target), f"assigned to {path}")
        _forget(env, path)
        env[path] = extend(taint, step) if taint else CLEAN
        if isinstance(value, ast.List | ast.Tuple) and "[" not in path:
            for index, element in enumerate(value.elts):
                env[f"{path}[{index}]"] = extend(self._expr(element, env), step)
        elif isinstance(value, ast.Dict):
            for key, element in zip(value.keys, value.values, strict=True):
                if isinstance(key, ast.Constant):
                    env[f"{path}[{key.value!r}]"] = extend(self._expr(element, env), step)

    def _return(self, value: ast.expr, env: Env) -> None:
        taint = self._expr(value, env)
        self.returns = join(self.returns, taint)
        if self.route is not None and (body := _response_body(value, self)) is not None:
            self._sink(self.route.response_cwe, body, self._expr(body, env), "response body of the route")

    # ---- expressions ---------------------------------------------------------------------
    def _expr(self, node: ast.expr | None, env: Env) -> Taint:
        if node is None:
            return CLEAN
        match node:
            case ast.Constant():
                return CLEAN
            case ast.Name(id=name):
                return self._read(name, env)
            case ast.Attribute(value=value, attr=attr):
                if source := self._source(node, None):
                    return source
                path = _access_path(node)
                if path is not None and path in env:
                    return env[path]
                taint = self._expr(value, env)
                return taint if attr not in ("__class__",) else CLEAN
            case ast.Subscript(value=value, slice=index):
                key = index.value if isinstance(index, ast.Constant) else None
                if source := self._source(value, key if isinstance(key, str) else None):
                    return source
                self._expr(index, env)
                path = _access_path(node)
                if path is not None and path in env:
                    return env[path]
                return self._expr(value, env)
            case ast.Call():
                return self._call(node, env)
            case ast.Compare(left=left, comparators=comparators):
                for part in (left, *comparators):
                    self._expr(part, env)
                return CLEAN  # a boolean carries no attacker text
            case ast.IfExp(test=test, body=body, orelse=orelse):
                self._expr(test, env)
                truth = constant_truth(test)
                if truth is not None:
                    return self._expr(body if truth else orelse, env)
                return join(self._expr(body, env), self._expr(orelse, env))
            case ast.NamedExpr(target=target, value=value):
                taint = self._expr(value, env)
                self._assign(target, value, taint, env)
                return taint
            case ast.Lambda():
                return CLEAN
            case (
                ast.ListComp(elt=elt, generators=generators)
                | ast.SetComp(elt=elt, generators=generators)
                | ast.GeneratorExp(elt=elt, generators=generators)
            ):
                scope = self._comprehension(generators, env)
                return self._expr(elt, scope)
            case ast.DictComp(key=key, value=value, generators=generators):
                scope = self._comprehension(generators, env)
                return join(self._expr(key, scope), self._expr(value, scope))
            case ast.UnaryOp(op=ast.Not(), operand=operand):
                self._expr(operand, env)
                return CLEAN
            case _:
                return join(*(self._expr(child, env) for child in _child_exprs(node)))

    def _read(self, name: str, env: Env) -> Taint:
        taint = env.get(name, CLEAN)
        nested = [value for key, value in env.items() if key.startswith((f"{name}.", f"{name}["))]
        return join(taint, *nested) if nested else taint

    def _comprehension(self, generators: list[ast.comprehension], env: Env) -> Env:
        scope = dict(env)
        for generator in generators:
            self._assign(generator.target, None, self._expr(generator.iter, scope), scope)
            for condition in generator.ifs:
                self._expr(condition, scope)
        return scope

    def dotted(self, node: ast.expr) -> str | None:
        """The dotted name of a callee or attribute, unless its root is a local variable."""
        root = _root_name(node)
        if root is None or root in self.locals:
            return None
        return dotted_name(node, self.module, self.catalog)

    def _source(self, node: ast.expr, key: str | None) -> Taint | None:
        name = self.dotted(node)
        model = self.catalog.sources.get(name) if name else None
        if model is None or model.shape == "call":
            return None
        return self._new_source(model, key, node)

    def _new_source(self, model: SourceModel, parameter: str | None, node: ast.expr) -> Taint:
        here = location(self.module, node)
        origin = SourceOrigin(model, parameter, self.function.qualname, here, here.snippet)
        return frozenset({Label(origin, steps=(Step(StepKind.SOURCE, here, f"{here.snippet}"),))})

    # ---- calls ---------------------------------------------------------------------------
    def _call(self, call: ast.Call, env: Env) -> Taint:
        func = call.func
        name = self.dotted(func)
        receiver = func.value if isinstance(func, ast.Attribute) else None
        # Sources read through a call: request.args.get("k"), request.get_data().
        if isinstance(func, ast.Attribute) and func.attr in _MAPPING_READS and receiver is not None:
            base = self.dotted(receiver)
            model = self.catalog.sources.get(base) if base else None
            if model is not None and model.shape == "mapping":
                key = call.args[0] if call.args else None
                parameter = (
                    key.value if isinstance(key, ast.Constant) and isinstance(key.value, str) else None
                )
                return self._new_source(model, parameter, call)
        if name and (model := self.catalog.sources.get(name)) and model.shape == "call":
            return self._new_source(model, None, call)

        args = [self._expr(arg, env) for arg in call.args]
        keywords = {kw.arg: self._expr(kw.value, env) for kw in call.keywords if kw.arg}
        splat = join(*(self._expr(kw.value, env) for kw in call.keywords if kw.arg is None))
        receiver_taint = self._expr(receiver, env) if receiver is not None else CLEAN
        everything = join(*args, *keywords.values(), splat)

        if name and (sanitizer := self.catalog.sanitizers.get(name)):
            return frozenset(label.sanitised(sanitizer.cwes) for label in join(everything, receiver_taint))
        sinks = self._sink_models(name, func)
        for sink in sinks:
            self._check_sink(sink, call, args, keywords, env)
        if sinks:
            return CLEAN  # what a sink returns (a file, a status, rows) is not the attacker's text
        if callee := self._callee(name, func):
            return self._apply_summary(callee[0], callee[1], call, args, keywords, receiver_taint)
        return join(everything, receiver_taint)

    def _sink_models(self, name: str | None, func: ast.expr) -> tuple[SinkModel, ...]:
        if name and name in self.catalog.sinks_by_name:
            return self.catalog.sinks_by_name[name]
        if isinstance(func, ast.Attribute) and (name is None or self.program.resolve_function(name) is None):
            return self.catalog.sinks_by_method.get(func.attr, ())
        return ()

    def _check_sink(
        self, sink: SinkModel, call: ast.Call, args: list[Taint], keywords: dict[str, Taint], env: Env
    ) -> None:
        by_keyword = {kw.arg: kw.value for kw in call.keywords if kw.arg}
        for key, wanted in sink.when_keyword:
            given = by_keyword.get(key)
            if given is None or (isinstance(given, ast.Constant) and given.value != wanted):
                return
        for key, safe in sink.unless_keyword:
            candidates = [by_keyword.get(key), *call.args[max(sink.args, default=0) + 1 :]]
            if any(c is not None and self.dotted(c) in safe for c in candidates):
                return
        for index in sink.args:
            if index < len(call.args):
                self._sink_argument(sink, call, call.args[index], args[index], env)
        for key in sink.keywords:
            if key in by_keyword:
                self._sink_argument(sink, call, by_keyword[key], keywords.get(key, CLEAN), env)

    def _sink_argument(self, sink: SinkModel, call: ast.Call, arg: ast.expr, taint: Taint, env: Env) -> None:
        if sink.program:
            if isinstance(arg, ast.List | ast.Tuple):
                taint = self._expr(arg.elts[0], env) if arg.elts else CLEAN
            elif (path := _access_path(arg)) is not None and f"{path}[0]" in env:
                taint = env[f"{path}[0]"]
            elif _starts_constant(arg):  # "ls " + name: the caller chose the program
                return
        if sink.html_only and _response_body(arg, self) is None:
            return
        self._sink(sink.cwe, call, taint, f"reaches {self.dotted(call.func) or _callee_text(call)}")

    def _sink(self, cwe: int, node: ast.expr, taint: Taint, description: str) -> None:
        here = location(self.module, node)
        site = SinkSite(cwe, here, here.snippet)
        step = Step(StepKind.SINK, here, description)
        for label in taint:
            if not label.affects(cwe):
                continue
            match label.origin:
                case SourceOrigin() as source:
                    self.result.flows.append(Flow(source, site, (*label.steps, step)))
                case ParamOrigin(index=index):
                    self.param_sinks.add(ParamSink(index, site, label.cleared, (*label.steps, step)))

    def _callee(self, name: str | None, func: ast.expr) -> tuple[Function, int] | None:
        """The project function a call reaches, and how many implicit leading arguments it has."""
        if (
            isinstance(func, ast.Attribute)
            and isinstance(func.value, ast.Name)
            and func.value.id in ("self", "cls")
            and self.function.class_name
        ):
            owner = self.function.qualname.rsplit(".", 1)[0]
            method = self.program.functions.get(f"{owner}.{func.attr}")
            return (method, 1) if method else None
        if name is None:
            return None
        if function := self.program.resolve_function(name):
            return function, 0
        if init := self.program.resolve_function(f"{name}.__init__"):
            return init, 1  # a constructor: `self` is the new object
        return None

    def _apply_summary(
        self,
        callee: Function,
        implicit: int,
        call: ast.Call,
        args: list[Taint],
        keywords: dict[str, Taint],
        receiver: Taint,
    ) -> Taint:
        self.result.callees.add(callee.qualname)
        params = callee.params
        by_index: dict[int, Taint] = {}
        if implicit:
            by_index[0] = receiver
        for position, taint in enumerate(args):
            by_index[position + implicit] = taint
        for key, taint in keywords.items():
            if key in params:
                by_index[params.index(key)] = taint
        here = location(self.module, call)
        call_step = Step(StepKind.CALL, here, f"passed to {callee.node.name}()")
        summary = self.summaries.get(callee.qualname, Summary())
        for param_sink in summary.param_sinks:
            for label in by_index.get(param_sink.index, CLEAN):
                merged = label.sanitised(param_sink.cleared)
                if not merged.affects(param_sink.sink.cwe):
                    continue
                steps = (*label.steps, call_step, *param_sink.steps)
                match label.origin:
                    case SourceOrigin() as source:
                        self.result.flows.append(Flow(source, param_sink.sink, steps))
                    case ParamOrigin(index=index):
                        self.param_sinks.add(ParamSink(index, param_sink.sink, merged.cleared, steps))
        returned: list[Label] = []
        return_step = Step(StepKind.RETURN, here, f"returned from {callee.node.name}()")
        for label in summary.returns:
            match label.origin:
                case ParamOrigin(index=index):
                    for arg_label in by_index.get(index, CLEAN):
                        merged = arg_label.sanitised(label.cleared)
                        returned.append(merged.extended(call_step, *label.steps, return_step))
                case SourceOrigin():
                    returned.append(label.extended(return_step))
        return join(returned)


def _callee_text(call: ast.Call) -> str:
    return ast.unparse(call.func)


def _response_body(value: ast.expr, flow: FunctionFlow) -> ast.expr | None:
    """The part of a returned value that becomes an HTML body, or None for JSON-like values."""
    if isinstance(value, ast.Tuple):
        return _response_body(value.elts[0], flow) if value.elts else None
    if isinstance(value, ast.Dict | ast.List | ast.Set | ast.ListComp | ast.DictComp | ast.Constant):
        return None
    if isinstance(value, ast.Call):
        name = flow.dotted(value.func) or ""
        if name.endswith(("jsonify", "json.dumps", "render_template", "redirect", "send_from_directory")):
            return None
    return value


def _starts_constant(node: ast.expr) -> bool:
    """Whether a string-building expression begins with literal text."""
    while isinstance(node, ast.BinOp):
        node = node.left
    if isinstance(node, ast.JoinedStr):
        return bool(node.values) and isinstance(node.values[0], ast.Constant)
    return isinstance(node, ast.Constant)


def _root_name(node: ast.expr) -> str | None:
    while isinstance(node, ast.Attribute | ast.Subscript | ast.Call):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node.id if isinstance(node, ast.Name) else None


def _access_path(node: ast.expr) -> str | None:
    """ "x", "x.attr", "x['k']", "x[0]" — or None when a part is computed."""
    match node:
        case ast.Name(id=name):
            return name
        case ast.Attribute(value=value, attr=attr):
            base = _access_path(value)
            return f"{base}.{attr}" if base is not None else None
        case ast.Subscript(value=value, slice=ast.Constant(value=key)) if isinstance(key, str | int):
            base = _access_path(value)
            return f"{base}[{key!r}]" if base is not None else None
    return None


def _forget(env: Env, path: str) -> None:
    for key in [k for k in env if k == path or k.startswith((f"{path}.", f"{path}["))]:
        del env[key]


def _merge_into(env: Env, other: Env) -> None:
    for key, taint in other.items():
        env[key] = join(env.get(key, CLEAN), taint)


def _child_exprs(node: ast.AST) -> Iterator[ast.expr]:
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.expr):
            yield child
        elif isinstance(child, ast.keyword | ast.comprehension):
            yield from _child_exprs(child)


def _pattern_names(pattern: ast.pattern) -> Iterator[str]:
    for node in ast.walk(pattern):
        if isinstance(node, ast.MatchAs | ast.MatchStar) and node.name:
            yield node.name
        elif isinstance(node, ast.MatchMapping) and node.rest:
            yield node.rest


def _local_names(node: ast.FunctionDef | ast.AsyncFunctionDef) -> frozenset[str]:
    """Parameters and every name the body binds (not counting nested definitions' own)."""
    names = {a.arg for a in ast.walk(node.args) if isinstance(a, ast.arg)}
    stack: list[ast.AST] = list(node.body)
    while stack:
        current = stack.pop()
        if isinstance(current, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(current.name)
            continue
        if isinstance(current, ast.Name) and isinstance(current.ctx, ast.Store):
            names.add(current.id)
        elif isinstance(current, ast.Global | ast.Nonlocal):
            names.difference_update(current.names)
        stack.extend(ast.iter_child_nodes(current))
    return frozenset(names)
