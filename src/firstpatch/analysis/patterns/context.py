"""One module as pattern rules see it: nodes indexed by kind with their enclosing function and
statement, names resolved through imports, constants of simple names, request handlers."""

from __future__ import annotations

import ast
import functools
from collections import defaultdict
from collections.abc import Callable
from typing import Final, TypeVar

from firstpatch.analysis.models import Catalog
from firstpatch.analysis.program import Module, collect_imports, dotted_name

FunctionNode = ast.FunctionDef | ast.AsyncFunctionDef
Definition = ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef
N = TypeVar("N", bound=ast.AST)
T = TypeVar("T")


class _Unknown:
    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN: Final = _Unknown()  # a value that static reading cannot pin down

# Node kinds the rules look up; everything else is walked through but not kept.
_INDEXED: frozenset[type[ast.AST]] = frozenset(
    {
        ast.Call,
        ast.Assign,
        ast.AnnAssign,
        ast.AugAssign,
        ast.Constant,
        ast.Compare,
        ast.Dict,
        ast.FunctionDef,
        ast.AsyncFunctionDef,
        ast.ClassDef,
        ast.Return,
    }
)
# Decorators that make a function an HTTP entry point, across Flask, FastAPI, Django, Pyramid,
# aiohttp and DRF; matched on the decorator's last name.
_HANDLER_DECORATORS = frozenset(
    {
        "route",
        "get",
        "post",
        "put",
        "patch",
        "delete",
        "head",
        "options",
        "api_route",
        "websocket",
        "view_config",
        "api_view",
        "action",
        "require_http_methods",
        "require_GET",
        "require_POST",
        "require_safe",
        "login_required",
        "csrf_exempt",
        "permission_required",
    }
)
_REQUEST_PARAMS = frozenset({"request", "req"})
_REQUEST_TYPES = frozenset({"Request", "HttpRequest", "WSGIRequest", "ASGIRequest", "HTTPServerRequest"})
_HTTP_METHODS = frozenset({"get", "post", "put", "patch", "delete", "head", "options", "dispatch"})
_VIEW_BASE_ENDINGS = ("View", "ViewSet", "Handler", "Resource", "Endpoint", "HTTPEndpoint")
_REQUEST_GLOBALS = frozenset({"flask.request", "flask.globals.request", "quart.request", "bottle.request"})
_TEST_FOLDERS = frozenset({"tests", "test", "testing"})
_TEST_MODULES = frozenset({"conftest", "tests", "testutils", "test_utils", "testing", "test_helpers"})

_LEAVES = (ast.expr_context, ast.operator, ast.unaryop, ast.cmpop, ast.boolop)
Assignment = ast.Assign | ast.AnnAssign | ast.AugAssign
Indexed = tuple[ast.AST, FunctionNode | None, ast.stmt | None]


def last_name(expr: ast.expr) -> str | None:
    """`c` for `a.b.c`, `a.b.c()` and `a.b['c']`; the name a value is known by."""
    while True:
        match expr:
            case ast.Name(id=name):
                return name
            case ast.Attribute(attr=attr):
                return attr
            case ast.Subscript(slice=ast.Constant(value=str() as key)):
                return key
            case ast.Subscript(value=inner) | ast.Call(func=inner) | ast.Starred(value=inner):
                expr = inner
            case _:
                return None


def root_name(expr: ast.expr) -> str | None:
    """`a` for `a.b.c`, `a[0].b` and `a.b()`."""
    while isinstance(expr, ast.Attribute | ast.Subscript | ast.Call):
        expr = expr.func if isinstance(expr, ast.Call) else expr.value
    return expr.id if isinstance(expr, ast.Name) else None


def assignment_targets(node: Assignment) -> list[ast.expr]:
    return node.targets if isinstance(node, ast.Assign) else [node.target]


def keyword(call: ast.Call, name: str) -> ast.expr | None:
    return next((k.value for k in call.keywords if k.arg == name), None)


def has_splat(call: ast.Call) -> bool:
    """Whether keywords come from `**options`, so a missing keyword may still be given."""
    return any(k.arg is None for k in call.keywords)


class ModuleContext:
    def __init__(self, module: Module, catalog: Catalog) -> None:
        self.module = module
        self.catalog = catalog
        self.text = "\n".join(module.lines)
        self._index: dict[type[ast.AST], list[Indexed]] | None = None
        self._parents: dict[ast.AST, Definition | None] = {}
        self._memo: dict[tuple[str, int], object] = {}

    # ---- the index -----------------------------------------------------------------------
    def _build(self) -> dict[type[ast.AST], list[Indexed]]:
        """One walk over the tree: the index, the definitions' parents, the import statements.

        Written out rather than with `ast.iter_child_nodes`: this walk is most of the rules'
        time, and leaf nodes (contexts, operators) are never pushed."""
        index: dict[type[ast.AST], list[Indexed]] = defaultdict(list)
        imports: list[ast.stmt] = []
        stack: list[tuple[ast.AST, FunctionNode | None, Definition | None, ast.stmt | None]] = [
            (self.module.tree, None, None, None)
        ]
        while stack:
            node, function, container, statement = stack.pop()
            kind = type(node)
            if kind in _INDEXED:
                index[kind].append((node, function, statement))
            if isinstance(node, ast.stmt):
                statement = node
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                    self._parents[node] = container
                    container = node
                    if not isinstance(node, ast.ClassDef):
                        function = node
                elif isinstance(node, ast.Import | ast.ImportFrom):
                    imports.append(node)
            for name in node._fields:
                value = getattr(node, name, None)
                if isinstance(value, list):
                    stack.extend(
                        (item, function, container, statement) for item in value if isinstance(item, ast.AST)
                    )
                elif isinstance(value, ast.AST) and not isinstance(value, _LEAVES):
                    stack.append((value, function, container, statement))
        if not self.module.imports and imports:
            only_imports = Module(
                self.module.name,
                self.module.path,
                ast.Module(imports, []),
                (),
                is_package=self.module.is_package,
            )
            collect_imports(only_imports)
            self.module.imports.update(only_imports.imports)
        return index

    def _ensure_index(self) -> dict[type[ast.AST], list[Indexed]]:
        if self._index is None:
            self._index = self._build()
        return self._index

    @property
    def imports(self) -> dict[str, str]:
        """Local name → dotted target of every import in the module."""
        self._ensure_index()
        return self.module.imports

    def nodes(self, kind: type[N]) -> list[tuple[N, FunctionNode | None, ast.stmt | None]]:
        """Every node of one kind, with its innermost function and statement."""
        found = self._ensure_index().get(kind, [])
        return [(node, function, statement) for node, function, statement in found if isinstance(node, kind)]

    def assignment_nodes(self) -> list[tuple[Assignment, FunctionNode | None, ast.stmt | None]]:
        """Plain, annotated and augmented assignments."""
        found: list[tuple[Assignment, FunctionNode | None, ast.stmt | None]] = []
        found.extend(self.nodes(ast.Assign))
        found.extend(self.nodes(ast.AnnAssign))
        found.extend(self.nodes(ast.AugAssign))
        return found

    def definitions(self) -> list[Definition]:
        found: list[Definition] = [node for node, _, _ in self.nodes(ast.FunctionDef)]
        found.extend(node for node, _, _ in self.nodes(ast.AsyncFunctionDef))
        found.extend(node for node, _, _ in self.nodes(ast.ClassDef))
        return found

    def memo(self, key: str, scope: ast.AST | None, factory: Callable[[], T]) -> T:
        """A value computed once per module and scope (the module itself when scope is None)."""
        slot = (key, id(scope))
        if slot not in self._memo:
            self._memo[slot] = factory()
        value: T = self._memo[slot]  # type: ignore[assignment]  # keyed by the factory's type
        return value

    # ---- where things are ------------------------------------------------------------------
    @property
    def is_test_code(self) -> bool:
        parts = self.module.path.split("/")
        stem = parts[-1].removesuffix(".py")
        return (
            any(part in _TEST_FOLDERS for part in parts[:-1])
            or stem.startswith("test_")
            or stem.endswith("_test")
            or stem in _TEST_MODULES
        )

    def parent(self, definition: Definition) -> Definition | None:
        self._ensure_index()
        return self._parents.get(definition)

    def qualname(self, definition: Definition | None) -> str:
        names: list[str] = []
        while definition is not None:
            names.append(definition.name)
            definition = self.parent(definition)
        return ".".join(reversed(names))

    def scope_of(self, node: ast.AST) -> Definition | None:
        """The innermost function or class whose lines hold the node (for reports, not analysis)."""
        line = getattr(node, "lineno", 0)
        best: Definition | None = None
        for definition in self.definitions():
            if definition is node or not (definition.lineno <= line <= (definition.end_lineno or 0)):
                continue
            if best is None or definition.lineno >= best.lineno:
                best = definition
        return best

    def functions_around(self, function: FunctionNode | None) -> list[FunctionNode]:
        """The function and every function it is nested in, innermost first."""
        chain: list[FunctionNode] = []
        current: Definition | None = function
        while current is not None:
            if not isinstance(current, ast.ClassDef):
                chain.append(current)
            current = self.parent(current)
        return chain

    # ---- names -------------------------------------------------------------------------------
    def resolve(self, expr: ast.expr) -> str | None:
        """The dotted name an expression reaches through the module's imports (`md5` after
        `from hashlib import md5` → `hashlib.md5`); None for locals, builtins and anything else."""
        root = root_name(expr) if isinstance(expr, ast.Attribute | ast.Name) else None
        if root is None or root not in self.imports:
            return None
        return dotted_name(expr, self.module, self.catalog)

    def assignments(self, function: FunctionNode | None) -> dict[str, list[ast.expr]]:
        """What each simple name is assigned in one scope, in no particular order."""

        def build() -> dict[FunctionNode | None, dict[str, list[ast.expr]]]:
            found: dict[FunctionNode | None, dict[str, list[ast.expr]]] = defaultdict(
                lambda: defaultdict(list)
            )
            for node, owner, _ in self.assignment_nodes():
                if node.value is not None:
                    for target in assignment_targets(node):
                        _bind(found[owner], target, node.value)
            return found

        return self.memo("assignments", None, build).get(function, {})

    def other_bindings(self, function: FunctionNode | None) -> frozenset[str]:
        """Names a scope binds other than by plain assignment: parameters, loop and `with`
        targets, imports, `global` declarations, walrus, except aliases."""

        def build() -> frozenset[str]:
            names: set[str] = set()
            body: list[ast.AST]
            if function is None:
                body = list(self.module.tree.body)
            else:
                names.update(a.arg for a in ast.walk(function.args) if isinstance(a, ast.arg))
                body = list(function.body)
            while body:
                node = body.pop()
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Lambda):
                    continue
                if isinstance(node, ast.For | ast.AsyncFor | ast.comprehension):
                    names.update(n.id for n in ast.walk(node.target) if isinstance(n, ast.Name))
                elif isinstance(node, ast.withitem) and node.optional_vars is not None:
                    names.update(n.id for n in ast.walk(node.optional_vars) if isinstance(n, ast.Name))
                elif isinstance(node, ast.NamedExpr):
                    names.add(node.target.id)
                elif isinstance(node, ast.Import | ast.ImportFrom):
                    names.update((a.asname or a.name).split(".")[0] for a in node.names)
                elif isinstance(node, ast.Global | ast.Nonlocal):
                    names.update(node.names)
                elif isinstance(node, ast.ExceptHandler) and node.name:
                    names.add(node.name)
                body.extend(ast.iter_child_nodes(node))
            return frozenset(names)

        return self.memo("bindings", function, build)

    def constant(self, expr: ast.expr, function: FunctionNode | None) -> object:
        """The literal value of an expression: a literal itself, or a name that its scope (or the
        module, when the scope does not bind it) only ever assigns that one literal."""
        if isinstance(expr, ast.Constant):
            return expr.value
        if not isinstance(expr, ast.Name):
            return UNKNOWN
        for scope in (*self.functions_around(function), None):
            values = self.assignments(scope).get(expr.id)
            if expr.id in self.other_bindings(scope):
                return UNKNOWN
            if values is None:
                continue
            literals = {repr(v.value) for v in values if isinstance(v, ast.Constant)}
            if len(literals) == 1 and all(isinstance(v, ast.Constant) for v in values):
                first = values[0]
                return first.value if isinstance(first, ast.Constant) else UNKNOWN
            return UNKNOWN
        return UNKNOWN

    # ---- HTTP entry points ----------------------------------------------------------------------
    def is_request_handler(self, function: FunctionNode | None) -> bool:
        """Whether code runs while serving an HTTP request: a routed function, a view taking a
        request, an HTTP method of a view class, or a function reading a request global; or one
        nested in such a function."""
        return any(
            self.memo("handler", f, functools.partial(self._handles, f))
            for f in self.functions_around(function)
        )

    def _handles(self, function: FunctionNode) -> bool:
        routes = _HANDLER_DECORATORS | {d for model in self.catalog.routes for d in model.decorators}
        for decorator in function.decorator_list:
            name = last_name(decorator.func if isinstance(decorator, ast.Call) else decorator)
            if name in routes:
                return True
        arguments = [*function.args.posonlyargs, *function.args.args, *function.args.kwonlyargs]
        for argument in arguments[:3]:
            annotation = last_name(argument.annotation) if argument.annotation is not None else None
            if argument.arg in _REQUEST_PARAMS or annotation in _REQUEST_TYPES:
                return True
        owner = self.parent(function)
        if (
            isinstance(owner, ast.ClassDef)
            and function.name in _HTTP_METHODS
            and any((last_name(base) or "").endswith(_VIEW_BASE_ENDINGS) for base in owner.bases)
        ):
            return True
        request_names = {local for local, target in self.imports.items() if target in _REQUEST_GLOBALS}
        return bool(request_names) and any(
            isinstance(node, ast.Name) and node.id in request_names for node in ast.walk(function)
        )


def _bind(found: dict[str, list[ast.expr]], target: ast.expr, value: ast.expr) -> None:
    if isinstance(target, ast.Name):
        found[target.id].append(value)
    elif isinstance(target, ast.Tuple | ast.List):
        if isinstance(value, ast.Tuple | ast.List) and len(value.elts) == len(target.elts):
            for element, part in zip(target.elts, value.elts, strict=True):
                _bind(found, element, part)
        else:
            for element in target.elts:
                _bind(found, element.value if isinstance(element, ast.Starred) else element, value)
