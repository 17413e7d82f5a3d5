"""HTTP entry points: which functions a framework calls with a request, and on which route.

Four ways frameworks declare handlers, each driven by the route models in models/*.yaml:
decorators on an app or router (`@app.get("/x")`), registration methods
(`app.add_url_rule("/x", view_func=f)`, `app.router.add_get("/x", f)`), registration
functions in URL confs (`path("x/", views.f)`), and methods of handler classes
(`class H(RequestHandler): def get(self)`).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from firstpatch.analysis.declared_types import ClassTypes
from firstpatch.analysis.models import Catalog, RouteModel
from firstpatch.analysis.program import Function, Module, Program, Route, dotted_name


def attach_routes(program: Program, catalog: Catalog, class_types: ClassTypes) -> None:
    for function in program.functions.values():
        _decorated(function, catalog)
    for module in program.modules.values():
        _registered(program, module, catalog)
    _handler_classes(program, catalog, class_types)


def _route(model: RouteModel, rule: str, methods: tuple[str, ...]) -> Route:
    return Route(
        model.framework, rule, methods, model.response_cwe, model.request_type, model.parameters_are_inputs
    )


def _model_for(verb: str, receiver: ast.expr, module: Module, catalog: Catalog) -> RouteModel | None:
    """The framework of `@receiver.verb(...)`: by what built the receiver when that is known,
    else by which framework the module imports (`def init(app)` gets its app from a caller)."""
    built = module.objects.get(receiver.id) if isinstance(receiver, ast.Name) else None
    built = built or dotted_name(receiver, module, catalog) or ""
    candidates = [m for m in catalog.routes if verb in m.decorators]
    for model in candidates:
        if built in model.app_types:
            return model
    imported = {target.split(".")[0] for target in module.imports.values()}
    for model in candidates:
        if {t.split(".")[0] for t in model.app_types} & imported:
            return model
    return None


def _methods(keywords: list[ast.keyword], default: tuple[str, ...]) -> tuple[str, ...]:
    for keyword in keywords:
        if keyword.arg == "methods" and isinstance(keyword.value, ast.List | ast.Tuple | ast.Set):
            return tuple(str(e.value).upper() for e in keyword.value.elts if isinstance(e, ast.Constant))
    return default


def _rule_of(node: ast.Call) -> str | None:
    rule = (
        node.args[0]
        if node.args
        else next((k.value for k in node.keywords if k.arg in ("rule", "path")), None)
    )
    return rule.value if isinstance(rule, ast.Constant) and isinstance(rule.value, str) else None


def _decorated(function: Function, catalog: Catalog) -> None:
    module = function.module
    for decorator in function.node.decorator_list:
        if not (isinstance(decorator, ast.Call) and isinstance(decorator.func, ast.Attribute)):
            continue
        verb = decorator.func.attr
        model = _model_for(verb, decorator.func.value, module, catalog)
        rule = _rule_of(decorator)
        if model is None or rule is None:
            continue
        default = ("GET",) if verb in ("route", "api_route", "view") else (verb.upper(),)
        function.routes.append(_route(model, rule, _methods(decorator.keywords, default)))


def _registered(program: Program, module: Module, catalog: Catalog) -> None:
    """Registration calls: `app.add_url_rule(rule, endpoint, view)`, `router.add_get(rule, f)`,
    `path(rule, view)` / `path(rule, View.as_view())`."""
    for node in module.calls:
        name = dotted_name(node.func, module, catalog)
        for model in catalog.routes:
            by_method = isinstance(node.func, ast.Attribute) and node.func.attr in model.register
            if not (by_method or (name and name in model.register_functions)):
                continue
            rule = _rule_of(node)
            handler = _handler_argument(node)
            if rule is None or handler is None:
                continue
            verb = node.func.attr if isinstance(node.func, ast.Attribute) else (name or "").rsplit(".", 1)[-1]
            default = (
                (verb.removeprefix("add_").upper(),) if verb.removeprefix("add_") in _VERBS else ("GET",)
            )
            for function in _handlers(program, module, catalog, handler, model):
                function.routes.append(_route(model, rule, _methods(node.keywords, default)))
            break


_VERBS = frozenset({"get", "post", "put", "patch", "delete"})


def _handler_argument(node: ast.Call) -> ast.expr | None:
    for keyword in node.keywords:
        if keyword.arg in ("view_func", "view", "handler"):
            return keyword.value
    positional = node.args[1:]
    # add_url_rule(rule, endpoint, view_func): the handler is the last positional argument
    return positional[-1] if positional else None


def _handlers(
    program: Program, module: Module, catalog: Catalog, handler: ast.expr, model: RouteModel
) -> Iterator[Function]:
    """The functions a registered handler expression stands for (a class view: its methods)."""
    if (
        isinstance(handler, ast.Call)
        and isinstance(handler.func, ast.Attribute)
        and handler.func.attr == "as_view"
    ):
        handler = handler.func.value
    name = dotted_name(handler, module, catalog)
    if name is None:
        return
    function = program.resolve_function(name)
    if function is not None:
        yield function
        return
    methods = model.handler_methods or _VERBS
    for verb in sorted(methods):
        method = program.resolve_function(f"{name}.{verb}")
        if method is not None:
            yield method


def _handler_classes(program: Program, catalog: Catalog, class_types: ClassTypes) -> None:
    """Methods like get/post of classes deriving from a framework's handler base class."""
    for model in catalog.routes:
        if not model.handler_bases:
            continue
        for qualname in program.classes:
            if not set(class_types.external(program, qualname)) & model.handler_bases:
                continue
            for verb in sorted(model.handler_methods):
                method = class_types.method(program, qualname, verb)
                if method is not None and not any(r.framework == model.framework for r in method.routes):
                    method.routes.append(_route(model, "", (verb.upper(),)))
