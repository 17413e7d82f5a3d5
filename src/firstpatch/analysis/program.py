"""The program model: modules, their imports, functions, classes and HTTP entry points.

Built from parsed syntax trees only. Names are resolved to dotted paths ("notes.store.connect",
"flask.request.args") so that models and summaries can be looked up by name.
"""

from __future__ import annotations

import ast
import builtins
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from firstpatch.analysis.models import Catalog

FunctionNode = ast.FunctionDef | ast.AsyncFunctionDef
_BUILTINS = frozenset(dir(builtins))
# Flask/Werkzeug "<int:id>", FastAPI/Starlette/aiohttp "{id}" or "{id:path}".
_ROUTE_PARAM = re.compile(r"<(?:[^:<>]+:)?([A-Za-z_]\w*)>|\{([A-Za-z_]\w*)(?::[^{}]*)?\}")


@dataclass(frozen=True, slots=True)
class Route:
    framework: str
    rule: str
    methods: tuple[str, ...]
    response_cwe: int
    request_type: str = ""  # the type of the handler's request parameter, when it has one
    parameters_are_inputs: bool = False

    @property
    def path_params(self) -> tuple[str, ...]:
        return tuple(a or b for a, b in _ROUTE_PARAM.findall(self.rule))


@dataclass
class Module:
    name: str  # dotted, from the file's path under the target root
    path: str  # relative, with "/"
    tree: ast.Module
    lines: Sequence[str]
    imports: dict[str, str] = field(default_factory=dict)  # local name → dotted target
    is_package: bool = False
    objects: dict[str, str] = field(default_factory=dict)  # module-level name → what built it
    calls: list[ast.Call] = field(default_factory=list)  # every call in the module
    constants: dict[str, object] = field(default_factory=dict)  # module-level constants (the solver's)


@dataclass
class Function:
    qualname: str  # module.Class.method or module.outer.inner
    module: Module
    node: FunctionNode
    class_name: str | None = None
    routes: list[Route] = field(default_factory=list)
    local_names: frozenset[str] | None = None  # computed once, on first analysis
    proves: tuple[tuple[int, frozenset[int]], ...] | None = None  # as a check: analysis.validators

    @property
    def params(self) -> list[str]:
        arguments = self.node.args
        return [a.arg for a in (*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs)]


@dataclass
class Program:
    modules: dict[str, Module] = field(default_factory=dict)
    functions: dict[str, Function] = field(default_factory=dict)
    classes: dict[str, ast.ClassDef] = field(default_factory=dict)

    suffixes: dict[str, list[str]] = field(default_factory=dict)  # "b.c" → ["a.b.c"]
    # The name the scanned folder's own package imports itself by (`from rich.console import
    # Console` inside rich/), when the folder is that package: its modules are named without it.
    own_name: str = ""

    def index_suffixes(self) -> None:
        self.suffixes.clear()
        for name in self.modules:
            parts = name.split(".")
            for cut in range(1, len(parts)):
                self.suffixes.setdefault(".".join(parts[cut:]), []).append(name)

    def resolve_module(self, dotted: str) -> str | None:
        """The project module an import names: exact, or unique by suffix (src layouts), or
        through the package's own name when the scanned folder is the package."""
        if dotted in self.modules:
            return dotted
        matches = self.suffixes.get(dotted, ())
        if len(matches) == 1:
            return matches[0]
        if self.own_name and dotted == self.own_name:
            return ROOT_PACKAGE
        if self.own_name and dotted.startswith(f"{self.own_name}."):
            return self.resolve_module(dotted[len(self.own_name) + 1 :])
        return None

    def resolve_function(self, dotted: str, depth: int = 0) -> Function | None:
        """A project function named by a resolved dotted path, following re-exports."""
        if dotted in self.functions:
            return self.functions[dotted]
        parts = dotted.split(".")
        for cut in range(len(parts) - 1, 0, -1):
            resolved = self.resolve_module(".".join(parts[:cut]))
            if resolved is None:
                continue
            rest = parts[cut:]
            candidate = ".".join([resolved, *rest])
            if candidate in self.functions:
                return self.functions[candidate]
            reexport = self.modules[resolved].imports.get(rest[0])
            if reexport and depth < 8:  # `from .impl import f` in a package's __init__
                return self.resolve_function(".".join([reexport, *rest[1:]]), depth + 1)
            return None
        return None


ROOT_PACKAGE = "__init__"  # the module name of the scanned folder's own __init__.py


def own_package_name(modules: Sequence[Module]) -> str:
    """The name a scanned folder that is itself a package imports itself by, read from its
    imports (folder names change from checkout to checkout; fingerprints must not): the one
    top-level name under which most of its absolute imports, and at least two, name the
    folder's own modules, and under which nearly all of them do (a third-party package whose
    submodules merely share some names with ours does not qualify)."""
    if not any(m.name == ROOT_PACKAGE and m.is_package for m in modules):
        return ""
    ours = {m.name.split(".")[0] for m in modules}
    hits: dict[str, int] = {}
    seen: dict[str, int] = {}
    for module in modules:
        for target in set(module.imports.values()):
            head, _, rest = target.partition(".")
            if head in ours or not rest:  # `import shop` says nothing of what shop holds
                continue
            seen[head] = seen.get(head, 0) + 1
            if rest.split(".")[0] in ours:
                hits[head] = hits.get(head, 0) + 1
    ranked = sorted(hits.items(), key=lambda item: -item[1])
    if not ranked or ranked[0][1] < 2 or (len(ranked) > 1 and ranked[1][1] == ranked[0][1]):
        return ""
    name, count = ranked[0]
    return name if count >= 0.8 * seen[name] else ""


def module_name(path: str) -> tuple[str, bool]:
    """Dotted module name of a relative path, and whether it is a package's __init__."""
    parts = path.removesuffix(".py").split("/")
    is_package = parts[-1] == "__init__"
    if is_package:
        parts = parts[:-1]
    return ".".join(parts) or "__init__", is_package


def _absolute(module: Module, level: int, target: str | None) -> str:
    """An import's absolute dotted name, resolving relative imports against the module."""
    if level == 0:
        return target or ""
    base = module.name.split(".")
    if not module.is_package:
        base = base[:-1]
    if level > 1:
        base = base[: len(base) - (level - 1)]
    return ".".join([*base, target] if target else base)


def collect_imports(module: Module) -> None:
    """Every import in the module, wherever it stands (functions often import locally), and
    its calls, kept for the passes that look for registrations (one walk over the tree)."""
    for node in ast.walk(module.tree):
        if isinstance(node, ast.Call):
            module.calls.append(node)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    module.imports[alias.asname] = alias.name
                else:
                    head = alias.name.split(".")[0]
                    module.imports.setdefault(head, head)
        elif isinstance(node, ast.ImportFrom):
            base = _absolute(module, node.level, node.module)
            for alias in node.names:
                if alias.name != "*":
                    module.imports[alias.asname or alias.name] = (
                        f"{base}.{alias.name}" if base else alias.name
                    )


def dotted_name(expr: ast.expr, module: Module, catalog: Catalog) -> str | None:
    """The dotted path an expression names, through the module's imports (`request.args` →
    `flask.request.args`), or None when it is not a plain name or attribute chain."""
    parts: list[str] = []
    while isinstance(expr, ast.Attribute):
        parts.append(expr.attr)
        expr = expr.value
    if not isinstance(expr, ast.Name):
        return None
    head = expr.id
    if head in module.imports:
        base = module.imports[head]
    elif head in _BUILTINS:
        base = f"builtins.{head}"
    else:
        base = f"{module.name}.{head}"
    return catalog.canonical(".".join([base, *reversed(parts)]))


def _walk_defs(
    body: list[ast.stmt], prefix: str, class_name: str | None
) -> Iterator[tuple[str, FunctionNode | ast.ClassDef, str | None]]:
    """Function and class definitions at any depth (routes are often nested in `init(app)`)."""
    for stmt in body:
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
            yield f"{prefix}.{stmt.name}", stmt, class_name
            yield from _walk_defs(stmt.body, f"{prefix}.{stmt.name}", None)
        elif isinstance(stmt, ast.ClassDef):
            yield f"{prefix}.{stmt.name}", stmt, class_name
            yield from _walk_defs(stmt.body, f"{prefix}.{stmt.name}", stmt.name)
        else:  # definitions inside if/try/with/for/match blocks
            for block in _blocks(stmt):
                yield from _walk_defs(block, prefix, class_name)


def _blocks(stmt: ast.stmt) -> Iterator[list[ast.stmt]]:
    for name in ("body", "orelse", "finalbody"):
        block = getattr(stmt, name, None)
        if isinstance(block, list):
            yield block
    for item in (*getattr(stmt, "handlers", ()), *getattr(stmt, "cases", ())):
        yield item.body


def build_program(modules: list[Module], catalog: Catalog) -> Program:
    program = Program()
    for module in modules:
        collect_imports(module)
        for stmt in module.tree.body:  # app = Flask(__name__): what kind of object `app` is
            if isinstance(stmt, ast.Assign) and isinstance(stmt.value, ast.Call):
                built = dotted_name(stmt.value.func, module, catalog)
                for target in stmt.targets:
                    if built and isinstance(target, ast.Name):
                        module.objects[target.id] = built
        program.modules[module.name] = module
    program.index_suffixes()
    program.own_name = own_package_name(modules)
    for module in modules:
        for qualname, node, class_name in _walk_defs(module.tree.body, module.name, None):
            if isinstance(node, ast.ClassDef):
                program.classes[qualname] = node
                continue
            program.functions[qualname] = Function(qualname, module, node, class_name)
        if top_level := _module_body(module):
            program.functions[top_level.qualname] = top_level
    return program


MODULE_BODY = "<module>"


def _module_body(module: Module) -> Function | None:
    """The module's top-level statements as a function of their own, so that scripts (whose
    flows run at import time or under `if __name__ == "__main__":`) are analysed too."""
    body = [
        s
        for s in module.tree.body
        if not isinstance(s, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
    ]
    if not any(
        isinstance(s, ast.Expr | ast.Assign | ast.If | ast.For | ast.While | ast.With | ast.Try) for s in body
    ):
        return None
    empty = ast.arguments(
        posonlyargs=[], args=[], vararg=None, kwonlyargs=[], kw_defaults=[], kwarg=None, defaults=[]
    )
    node = ast.FunctionDef(
        name=MODULE_BODY, args=empty, body=body, decorator_list=[], returns=None, type_comment=None
    )
    node.lineno, node.col_offset = body[0].lineno, 0
    node.end_lineno, node.end_col_offset = body[-1].end_lineno, body[-1].end_col_offset
    return Function(f"{module.name}.{MODULE_BODY}", module, node)
