"""Taint through one function body, using callees' summaries at call sites.

Flow-sensitive over straight-line code (a value overwritten before use carries no taint); both
sides of a condition are joined unless it is constant; a check that validates a value (an
allow-list, a containment check) sanitises it where it holds; loops run twice. Variables are
tracked by access path ("d['k']", "obj.attr", "args[0]"): keys and attributes keep their own taint.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping
from dataclasses import dataclass, field

from firstpatch.analysis import containers, guards
from firstpatch.analysis.calls import (
    CallSite,
    built_by,
    check_sink,
    flags_set_by,
    keyed_read,
    project_callee,
    response_body,
    sink_models,
)
from firstpatch.analysis.constants import UNKNOWN, fold, is_constant_value, truth
from firstpatch.analysis.declared_types import ClassTypes, parameter_types, project_class
from firstpatch.analysis.locations import location
from firstpatch.analysis.models import Catalog, SourceModel
from firstpatch.analysis.program import Function, Program, Route, dotted_name
from firstpatch.analysis.state import State, below
from firstpatch.analysis.summaries import apply_summary, field_writes, narrowed
from firstpatch.analysis.syntax import (
    access_path,
    assigned_names,
    case_matches,
    child_exprs,
    ends,
    injected,
    is_static_method,
    local_names,
    pattern_names,
    root_name,
)
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
from firstpatch.analysis.validators import URL_HOST_PARTS, URL_PARSERS, validated
from firstpatch.model import InputKind, Step, StepKind

__all__ = ["FunctionFlow", "FunctionResult", "access_path", "location", "response_body"]

_MAPPING_READS = frozenset({"get", "getlist", "get_all", "pop", "setdefault", "getone"})


@dataclass
class FunctionResult:
    summary: Summary
    flows: list[Flow] = field(default_factory=list)
    callees: set[str] = field(default_factory=set)


class FunctionFlow:
    """Analyses one function against the current summaries of the functions it calls."""

    def __init__(
        self,
        function: Function,
        program: Program,
        catalog: Catalog,
        summaries: Mapping[str, Summary],
        module_consts: Mapping[str, object] | None = None,
        class_types: ClassTypes | None = None,
    ) -> None:
        self.function = function
        self.module = function.module
        self.program = program
        self.catalog = catalog
        self.summaries = summaries
        self.module_consts = module_consts or {}
        self.returns: Taint = CLEAN
        self.param_sinks: set[ParamSink] = set()
        self.result = FunctionResult(Summary())
        if function.local_names is None:
            function.local_names = local_names(function.node)
        self.locals = function.local_names
        self.loop_exits: list[list[State]] = []  # per enclosing loop: states at break/continue
        self.new_object_fields: dict[int, dict[str, Taint]] = {}  # constructor call → fields it set
        self.route = function.routes[0] if function.routes else None
        self.class_types = class_types or ClassTypes()
        self.types = parameter_types(function, catalog)  # local path → declared or evident type
        if function.class_name and function.params and not is_static_method(function.node):
            self.types.setdefault(function.params[0], function.qualname.rsplit(".", 1)[0])

    # ---- entry -------------------------------------------------------------------------
    def run(self) -> FunctionResult:
        state = State(consts={k: v for k, v in self.module_consts.items() if k not in self.locals})
        params = self.function.params
        for index, name in enumerate(params):
            state.taint[name] = frozenset({Label(ParamOrigin(index))})
        for route in self.function.routes:
            self._route_inputs(route, params, state)
        self._block(self.function.node.body, state)
        self.result.summary = Summary(self.returns, frozenset(self.param_sinks), field_writes(self, state))
        return self.result

    def _route_inputs(self, route: Route, params: list[str], state: State) -> None:
        """What the framework passes a handler: path parameters, the request object, and for
        frameworks that bind them (FastAPI) every other parameter as a query or body input."""
        offset = 1 if self.function.class_name and not is_static_method(self.function.node) else 0
        handler_params = params[offset:]
        if route.request_type and handler_params and not route.parameters_are_inputs:
            self.types.setdefault(handler_params[0], route.request_type)
        for name in handler_params:
            declared = self.types.get(name)
            if declared is not None and self.catalog.canonical(declared) == route.request_type:
                self.types[name] = route.request_type
            elif name in route.path_params:
                state.taint[name] = self._parameter_source(name, route.framework, InputKind.PATH)
            elif route.parameters_are_inputs and not injected(self.function.node, name):
                kind = InputKind.JSON if declared in self.program.classes else InputKind.QUERY
                state.taint[name] = self._parameter_source(name, route.framework, kind)

    def _parameter_source(self, name: str, framework: str, kind: InputKind) -> Taint:
        node = self.function.node
        model = SourceModel(f"{framework}.parameter.{name}", "value", kind, framework)
        here = location(self.module, node, whole_line=True)
        origin = SourceOrigin(model, name, self.function.qualname, here, f"<{name}>")
        step = Step(StepKind.SOURCE, here, f"{kind.value} parameter {name} of {node.name}")
        return frozenset({Label(origin, steps=(step,))})

    # ---- statements ----------------------------------------------------------------------
    def _block(self, body: list[ast.stmt], state: State) -> None:
        for stmt in body:
            self._stmt(stmt, state)

    def _stmt(self, stmt: ast.stmt, state: State) -> None:
        match stmt:
            case ast.Assign(targets=targets, value=value):
                taint = self._expr(value, state)
                for target in targets:
                    self._assign(target, value, taint, state)
            case ast.AnnAssign(target=target, value=value) if value is not None:
                self._assign(target, value, self._expr(value, state), state)
            case ast.AugAssign(target=target, op=op, value=value):
                combined = ast.BinOp(left=target, op=op, right=value)
                taint = join(self._expr(target, state), self._expr(value, state))
                self._assign(target, combined, taint, state)
            case ast.Expr(value=value):
                self._expr(value, state)
            case ast.Return(value=value) if value is not None:
                self._return(value, state)
            case ast.Raise(exc=exc) if exc is not None:
                self._expr(exc, state)  # raise web.HTTPFound(url): the exception may be a response
            case ast.If(test=test, body=body, orelse=orelse):
                self._expr(test, state)
                self._branches(test, body, orelse, state)
            case ast.While(test=test, body=body, orelse=orelse):
                self._loop(stmt, state, lambda s: self._expr(test, s) and None, body, orelse, test)
            case (
                ast.For(target=target, iter=iterable, body=body, orelse=orelse)
                | ast.AsyncFor(target=target, iter=iterable, body=body, orelse=orelse)
            ):
                taint = self._expr(iterable, state)
                self._loop(stmt, state, lambda s: self._assign(target, None, taint, s), body, orelse, None)
            case ast.With(items=items, body=body) | ast.AsyncWith(items=items, body=body):
                for item in items:
                    taint = self._expr(item.context_expr, state)
                    if item.optional_vars is not None:
                        self._assign(item.optional_vars, None, taint, state)
                self._block(body, state)
            case (
                ast.Try(body=body, handlers=handlers, orelse=orelse, finalbody=finalbody)
                | ast.TryStar(body=body, handlers=handlers, orelse=orelse, finalbody=finalbody)
            ):
                self._try(state, body, handlers, orelse, finalbody)
            case ast.Match(subject=subject, cases=cases):
                self._match(subject, cases, state)
            case ast.Delete(targets=targets):
                for target in targets:
                    if (path := access_path(target)) is not None:
                        state.forget(path)
            case _:
                pass  # nested definitions are analysed as functions of their own

    def _loop(self, stmt, state, bind, body, orelse, test) -> None:  # type: ignore[no-untyped-def]
        if test is not None and truth(test, state.consts) is False:
            self._block(orelse, state)
            return
        for name in assigned_names(stmt):  # a loop changes what its variables hold
            state.consts.pop(name, None)
            state.shapes.pop(name, None)
        self.loop_exits.append([])
        for _ in range(2):
            bind(state)
            self._block(body, state)
            for exit_state in self.loop_exits[-1]:  # continue/break rejoin at the head or the end
                state.merge(exit_state)
        self.loop_exits.pop()
        self._block(orelse, state)

    def _try(self, state: State, body, handlers, orelse, finalbody) -> None:  # type: ignore[no-untyped-def]
        before = state.copy()
        self._block(body, state)
        after = state.copy()
        for handler in handlers:
            branch = before.copy()
            branch.merge(state)  # the exception may come at any point of the body
            self._block(handler.body, branch)
            if not ends(handler.body):
                after.merge(branch)
        self._block(orelse, after)
        self._block(finalbody, after)
        state.replace_with(after)

    def _match(self, subject: ast.expr, cases: list[ast.match_case], state: State) -> None:
        taint = self._expr(subject, state)
        value = fold(subject, state.consts)
        branches: list[State] = []
        for case in cases:
            matched = case_matches(case, value)
            if matched is False:
                continue
            branch = state.copy()
            for name in pattern_names(case.pattern):
                branch.taint[name] = taint
            self._block(case.body, branch)
            branches.append(branch)
            if matched is True:
                break
        else:
            branches.append(state.copy())  # no case matched: the state falls through unchanged
        merged = branches[0]
        for other in branches[1:]:
            merged.merge(other)
        state.replace_with(merged)

    def _branches(self, test: ast.expr, body: list[ast.stmt], orelse: list[ast.stmt], state: State) -> None:
        decided = truth(test, state.consts)
        if decided is not None:  # a branch that can never run carries no taint
            self._block(body if decided else orelse, state)
            return
        when_true, when_false = guards.facts(test, state.consts, access_path, self._validated)
        other = state.copy()
        self._apply(when_true, state)
        self._apply(when_false, other)
        self._block(body, state)
        self._block(orelse, other)
        body_ends, orelse_ends = ends(body), ends(orelse)
        for ending, branch in ((body_ends, state), (orelse_ends, other)):
            if ending == "loop" and self.loop_exits:
                self.loop_exits[-1].append(branch.copy())
        if body_ends:
            state.replace_with(other)
        elif not orelse_ends:
            state.merge(other)

    def _validated(self, call: ast.Call) -> guards.Facts:
        return validated(self, call)

    def _apply(self, facts: guards.Facts, state: State) -> None:
        for path, cwes in facts:
            self._sanitise(path, cwes, state)
            base, _, part = path.rpartition(".")
            if part in URL_HOST_PARTS and base in state.parsed_from:  # urlparse(x).netloc checked
                self._sanitise(state.parsed_from[base], guards.URL_CWES, state)

    @staticmethod
    def _sanitise(path: str, cwes: frozenset[int], state: State) -> None:
        prefixes = below(path)
        for key in [k for k in state.taint if k == path or k.startswith(prefixes)]:
            state.taint[key] = frozenset(label.sanitised(cwes) for label in state.taint[key])

    def _assign(self, target: ast.expr, value: ast.expr | None, taint: Taint, state: State) -> None:
        if isinstance(target, ast.Tuple | ast.List):
            values = value.elts if isinstance(value, ast.Tuple | ast.List) else None
            for index, element in enumerate(target.elts):
                if values is not None and len(values) == len(target.elts):
                    self._assign(element, values[index], self._expr(values[index], state), state)
                else:
                    self._assign(element, None, taint, state)
            return
        if isinstance(target, ast.Starred):
            self._assign(target.value, None, taint, state)
            return
        if isinstance(target, ast.Subscript):
            self._store_sink(target, taint, state)
        path = access_path(target, state.consts)
        if path is None:  # x[i] = v with a computed i: the container as a whole gets tainted
            root = root_name(target)
            if root is not None:
                state.taint[root] = join(state.taint.get(root, CLEAN), taint)
                state.shapes.pop(root, None)
            return
        # Steps are built only for tainted values: most assignments carry nothing.
        step_cache: list[Step] = []

        def step() -> Step:
            if not step_cache:
                step_cache.append(
                    Step(StepKind.PROPAGATION, location(self.module, target), f"assigned to {path}")
                )
            return step_cache[0]

        def stepped(value_taint: Taint) -> Taint:
            return extend(value_taint, step()) if value_taint else CLEAN

        state.forget(path)
        state.taint[path] = stepped(taint)
        if value is None:
            return
        for field_path, field_taint in self.new_object_fields.pop(id(value), {}).items():
            state.taint[path + field_path] = stepped(field_taint)
        folded = fold(value, state.consts)
        if folded is not UNKNOWN and is_constant_value(folded):
            state.consts[path] = folded
        elif isinstance(value, ast.List | ast.Tuple | ast.Set) and all(
            isinstance(e, ast.Constant) for e in value.elts
        ):
            state.consts[path] = tuple(e.value for e in value.elts if isinstance(e, ast.Constant))
        containers.remember_literal(state, path, value, lambda node: stepped(self._expr(node, state)))
        self.types.pop(path, None)
        if isinstance(value, ast.Name) and value.id in self.types:
            self.types[path] = self.types[value.id]
        if isinstance(value, ast.Call):
            name = self.dotted(value.func)
            if name and (cls := project_class(self.program, name)):
                self.types[path] = cls
            elif name in self.catalog.library_types:
                self.types[path] = name
            elif name in self.catalog.factories:
                self.types[path] = self.catalog.factories[name]
            elif name in self.catalog.bound_calls:
                self.types[path] = name
            if name in containers.EMPTY_CONSTRUCTORS and not value.args and not value.keywords:
                state.shapes[path] = -1 if not name.endswith("list") else 0
            if name in URL_PARSERS and value.args and (origin := access_path(value.args[0])):
                state.parsed_from[path] = origin
            if flags := flags_set_by(self, value, None):
                state.flags[path] = flags

    def _store_sink(self, target: ast.Subscript, taint: Taint, state: State) -> None:
        """`session[key] = value`: a mapping that must not take untrusted keys or values."""
        name = self.dotted(target.value)
        store = self.catalog.stores.get(name) if name else None
        if store is not None:
            key = self._expr(target.slice, state)
            self._sink(store.cwe, target, join(taint, key), f"stored into {name}")

    def _return(self, value: ast.expr, state: State) -> None:
        taint = self._expr(value, state)
        self.returns = join(self.returns, taint)
        if self.route is not None and (body := response_body(value, self)) is not None:
            self._sink(self.route.response_cwe, body, self._expr(body, state), "response body of the route")

    # ---- expressions ---------------------------------------------------------------------
    def _expr(self, node: ast.expr | None, state: State) -> Taint:
        if node is None:
            return CLEAN
        match node:
            case ast.Constant():
                return CLEAN
            case ast.Name(id=name):
                return state.read(name)
            case ast.Attribute(value=value, attr=attr):
                if source := self._source(node, None):
                    return source
                path = access_path(node, state.consts)
                if path is not None and path in state.taint:
                    return state.read(path)
                return narrowed(self._expr(value, state), f".{attr}")
            case ast.Subscript(value=value, slice=index):
                return self._subscript(node, value, index, state)
            case ast.Call():
                return self._call(node, state)
            case ast.Compare(left=left, comparators=comparators):
                for part in (left, *comparators):
                    self._expr(part, state)
                return CLEAN  # a boolean carries no attacker text
            case ast.IfExp(test=test, body=body, orelse=orelse):
                self._expr(test, state)
                decided = truth(test, state.consts)
                if decided is not None:
                    return self._expr(body if decided else orelse, state)
                when_true, when_false = guards.facts(test, state.consts, access_path, self._validated)
                yes, no = state.copy(), state.copy()
                self._apply(when_true, yes)
                self._apply(when_false, no)
                return join(self._expr(body, yes), self._expr(orelse, no))
            case ast.NamedExpr(target=target, value=value):
                taint = self._expr(value, state)
                self._assign(target, value, taint, state)
                return taint
            case ast.Lambda():
                return CLEAN
            case (
                ast.ListComp(elt=elt, generators=generators)
                | ast.SetComp(elt=elt, generators=generators)
                | ast.GeneratorExp(elt=elt, generators=generators)
            ):
                return self._expr(elt, self._comprehension(generators, state))
            case ast.DictComp(key=key, value=value, generators=generators):
                scope = self._comprehension(generators, state)
                return join(self._expr(key, scope), self._expr(value, scope))
            case ast.UnaryOp(op=ast.Not(), operand=operand):
                self._expr(operand, state)
                return CLEAN
            case _:
                return join(*(self._expr(child, state) for child in child_exprs(node)))

    def _subscript(self, node: ast.Subscript, value: ast.expr, index: ast.expr, state: State) -> Taint:
        key = fold(index, state.consts)
        if source := self._source(value, key if isinstance(key, str) else None):
            return source
        self._expr(index, state)
        base = access_path(value, state.consts)
        if base is not None and key is not UNKNOWN:
            known = containers.element(state, base, key)
            if known is not None:
                return known
        whole = self._expr(value, state)
        return (
            narrowed(whole, f"[{key!r}]")
            if isinstance(key, str | int) and not isinstance(key, bool)
            else whole
        )

    def _comprehension(self, generators: list[ast.comprehension], state: State) -> State:
        scope = state.copy()
        for generator in generators:
            self._assign(generator.target, None, self._expr(generator.iter, scope), scope)
            for condition in generator.ifs:
                self._expr(condition, scope)
                self._apply(guards.facts(condition, scope.consts, access_path, self._validated)[0], scope)
        return scope

    def dotted(self, node: ast.expr) -> str | None:
        """The dotted name of a callee or attribute: through imports, or through the type of
        the local it starts from (`self.request.args` with `request: flask.Request`)."""
        root = root_name(node)
        if root is None:
            return None
        if root in self.locals:
            return self._typed_name(node)
        return dotted_name(node, self.module, self.catalog)

    def _typed_name(self, node: ast.expr) -> str | None:
        parts: list[str] = []
        while isinstance(node, ast.Attribute):
            parts.append(node.attr)
            node = node.value
        if not isinstance(node, ast.Name):
            return None
        names = [node.id, *reversed(parts)]
        for cut in range(len(names), 0, -1):
            declared = self.type_of(names[:cut])
            if not declared:
                continue
            rest = names[cut:]
            if rest and declared in self.program.classes and not self._declares(declared, rest[0]):
                for base in self.class_types.external(self.program, declared):  # inherited from a library
                    return self.catalog.canonical(".".join([base, *rest]))
            return self.catalog.canonical(".".join([declared, *rest]))
        return None

    def _declares(self, owner: str, name: str) -> bool:
        return (
            self.class_types.method(self.program, owner, name) is not None
            or self.class_types.attribute(self.program, owner, name) is not None
        )

    def type_of(self, names: list[str]) -> str | None:
        """The type of `a.b.c` from what `a` is and what its class declares `b` to be."""
        path = ".".join(names)
        if path in self.types:
            return self.types[path]
        if len(names) > 1 and (owner := self.type_of(names[:-1])) and owner in self.program.classes:
            return self.class_types.attribute(self.program, owner, names[-1])
        return None

    def _source(self, node: ast.expr, key: str | None) -> Taint | None:
        name = self.dotted(node)
        model = self.catalog.sources.get(name) if name else None
        if model is None or model.shape == "call":
            return None
        return self._new_source(model, key, node)

    def _new_source(self, model: SourceModel, parameter: str | None, node: ast.expr) -> Taint:
        here = location(self.module, node)
        origin = SourceOrigin(model, parameter, self.function.qualname, here, here.snippet)
        return frozenset({Label(origin, steps=(Step(StepKind.SOURCE, here, here.snippet),))})

    # ---- calls ---------------------------------------------------------------------------
    def _call(self, call: ast.Call, state: State) -> Taint:
        func = call.func
        name = self.dotted(func)
        receiver = func.value if isinstance(func, ast.Attribute) else None
        if (source := self._call_source(call, func, name)) is not None:
            return source
        # A local container whose methods we do not know otherwise (lists, dicts, buffers).
        local = receiver is not None and name is None and root_name(receiver) in self.locals
        receiver_path = access_path(receiver, state.consts) if local else None
        if receiver_path is not None and isinstance(func, ast.Attribute):
            flags = flags_set_by(self, call, func.attr)
            if flags:
                state.flags[receiver_path] = state.flags.get(receiver_path, frozenset()) | flags
            modelled = containers.container_call(
                state, receiver_path, func.attr, call, lambda node: self._expr(node, state)
            )
            if modelled is not None:
                return modelled

        args = [self._expr(arg, state) for arg in call.args]
        keywords = {kw.arg: self._expr(kw.value, state) for kw in call.keywords if kw.arg}
        splat = join(*(self._expr(kw.value, state) for kw in call.keywords if kw.arg is None))
        receiver_taint = self._expr(receiver, state) if receiver is not None else CLEAN
        everything = join(*args, *keywords.values(), splat)
        if built_by(self, func) in self.catalog.bound_calls:
            return CLEAN

        if isinstance(func, ast.Attribute) and func.attr == "replace" and len(call.args) >= 2:
            cleared = guards.replaced(fold(call.args[0], state.consts), fold(call.args[1], state.consts))
            if cleared:
                return frozenset(label.sanitised(cleared) for label in join(receiver_taint, args[1]))
        if name and (sanitizer := self.catalog.sanitizers.get(name)):
            return frozenset(label.sanitised(sanitizer.cwes) for label in join(everything, receiver_taint))
        sinks = sink_models(self, name, func)
        if sinks:
            site = CallSite(call, args, keywords, receiver_taint, state)
            for sink in sinks:
                check_sink(self, sink, site)
            return CLEAN  # what a sink returns (a file, a status, rows) is not the attacker's text
        if callee := project_callee(self, name, func):
            return apply_summary(self, callee[0], callee[1], call, args, keywords, receiver_taint, state)
        if (keyed := keyed_read(func, call, state)) is not None:
            return join(keyed, *args[1:])
        return join(everything, receiver_taint)

    def _call_source(self, call: ast.Call, func: ast.expr, name: str | None) -> Taint | None:
        """Sources read through a call: request.args.get("k"), request.get_data()."""
        if isinstance(func, ast.Attribute) and func.attr in _MAPPING_READS:
            base = self.dotted(func.value)
            model = self.catalog.sources.get(base) if base else None
            if model is not None and model.shape == "mapping":
                key = call.args[0] if call.args else None
                parameter = (
                    key.value if isinstance(key, ast.Constant) and isinstance(key.value, str) else None
                )
                return self._new_source(model, parameter, call)
        if name and (model := self.catalog.sources.get(name)) and model.shape == "call":
            return self._new_source(model, None, call)
        return None

    def _sink(self, cwe: int, node: ast.expr, taint: Taint, description: str) -> None:
        here = location(self.module, node)
        site = SinkSite(cwe, here, here.snippet, self.function.qualname)
        step = Step(StepKind.SINK, here, description)
        for label in taint:
            if not label.affects(cwe):
                continue
            match label.origin:
                case SourceOrigin() as source:
                    self.result.flows.append(Flow(source, site, (*label.steps, step)))
                case ParamOrigin(index=index, field=field):
                    self.param_sinks.add(ParamSink(index, site, label.cleared, (*label.steps, step), field))
