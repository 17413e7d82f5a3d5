"""Types the code declares or makes evident: annotations, and objects built by constructors.

`wrapped = Wrapper(request)` makes `wrapped` a Wrapper, so `wrapped.get(...)` is that class's
method; `self.request: flask.Request` makes `self.request.args` Flask's request arguments.
Types are dotted names: a project class's qualified name, or a library type as the models name it.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

from firstpatch.analysis.models import Catalog
from firstpatch.analysis.program import Function, Module, Program, dotted_name

FunctionNode = ast.FunctionDef | ast.AsyncFunctionDef


@dataclass
class ClassTypes:
    """What is known about each project class: its bases and its attributes' declared types."""

    bases: dict[str, list[str]] = field(default_factory=dict)
    external_bases: dict[str, list[str]] = field(default_factory=dict)  # library classes it derives from
    attributes: dict[str, dict[str, str]] = field(default_factory=dict)

    def external(self, program: Program, owner: str) -> list[str]:
        """Library base classes of the class or of its project bases, nearest first."""
        return [base for cls in self.lineage(program, owner) for base in self.external_bases.get(cls, ())]

    def attribute(self, program: Program, owner: str, name: str) -> str | None:
        for cls in self.lineage(program, owner):
            if name in self.attributes.get(cls, {}):
                return self.attributes[cls][name]
        return None

    def method(self, program: Program, owner: str, name: str) -> Function | None:
        for cls in self.lineage(program, owner):
            if f"{cls}.{name}" in program.functions:
                return program.functions[f"{cls}.{name}"]
        return None

    def lineage(self, program: Program, owner: str) -> list[str]:
        """The class and its project base classes, nearest first (cycles cut)."""
        order: list[str] = []
        pending = [owner]
        while pending:
            current = pending.pop(0)
            if current in order or current not in program.classes:
                continue
            order.append(current)
            pending.extend(self.bases.get(current, ()))
        return order


def annotation_type(annotation: ast.expr | None, module: Module, catalog: Catalog) -> str | None:
    """The dotted type an annotation names (`Optional[T]`, `T | None` and "T" count as T)."""
    match annotation:
        case ast.Constant(value=str() as text):
            try:
                parsed = ast.parse(text, mode="eval").body
            except SyntaxError:
                return None
            return annotation_type(parsed, module, catalog)
        case ast.BinOp(op=ast.BitOr(), left=left, right=right):
            return annotation_type(left, module, catalog) or annotation_type(right, module, catalog)
        case ast.Subscript(value=value, slice=inner) if (dotted_name(value, module, catalog) or "").endswith(
            "Optional"
        ):
            return annotation_type(inner, module, catalog)
        case ast.Name() | ast.Attribute():
            return dotted_name(annotation, module, catalog)
    return None


def collect_class_types(program: Program, catalog: Catalog) -> ClassTypes:
    types = ClassTypes()
    for qualname, node in program.classes.items():
        module = _module_of(program, qualname)
        if module is None:
            continue
        for base in node.bases:
            name = dotted_name(base, module, catalog)
            if name is None:
                continue
            resolved = project_class(program, name)
            if resolved is not None:
                types.bases.setdefault(qualname, []).append(resolved)
            else:
                types.external_bases.setdefault(qualname, []).append(name)
        attributes = types.attributes.setdefault(qualname, {})
        for stmt in node.body:
            if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
                _self_assignments(stmt, module, catalog, attributes, program)
            elif (
                isinstance(stmt, ast.AnnAssign)
                and isinstance(stmt.target, ast.Name)
                and (declared := annotation_type(stmt.annotation, module, catalog))
            ):
                attributes[stmt.target.id] = declared
    return types


def _self_assignments(
    method: FunctionNode, module: Module, catalog: Catalog, attributes: dict[str, str], program: Program
) -> None:
    """`self.x: T = ...`, `self.x = param` (param annotated T) and `self.x = Cls(...)`."""
    params = {
        a.arg: a.annotation for a in (*method.args.posonlyargs, *method.args.args, *method.args.kwonlyargs)
    }
    for node in ast.walk(method):
        target: ast.expr | None = None
        declared: str | None = None
        if isinstance(node, ast.AnnAssign):
            target, declared = node.target, annotation_type(node.annotation, module, catalog)
        elif isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
            value = node.value
            if isinstance(value, ast.Name) and value.id in params:
                declared = annotation_type(params[value.id], module, catalog)
            elif isinstance(value, ast.Call) and (name := dotted_name(value.func, module, catalog)):
                declared = project_class(program, name) or _library_type(name, catalog)
        if (
            declared
            and isinstance(target, ast.Attribute)
            and isinstance(target.value, ast.Name)
            and target.value.id == "self"
        ):
            attributes.setdefault(target.attr, declared)


def _library_type(name: str, catalog: Catalog) -> str | None:
    """The library class a constructor or factory call builds, when the models know it."""
    if name in catalog.library_types:
        return name
    return catalog.factories.get(name)


def _module_of(program: Program, qualname: str) -> Module | None:
    parts = qualname.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        name = ".".join(parts[:cut])
        if name in program.modules:
            return program.modules[name]
    return None


def project_class(program: Program, dotted: str) -> str | None:
    """The qualified name of the project class a dotted name refers to, following re-exports."""
    if dotted in program.classes:
        return dotted
    init = program.resolve_function(f"{dotted}.__init__")
    if init is not None:
        return init.qualname.rsplit(".", 1)[0]
    parts = dotted.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        resolved = program.resolve_module(".".join(parts[:cut]))
        if resolved is not None:
            candidate = ".".join([resolved, *parts[cut:]])
            return candidate if candidate in program.classes else None
    return None


def parameter_types(function: Function, catalog: Catalog) -> dict[str, str]:
    node = function.node
    found = {}
    for arg in (*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs):
        if declared := annotation_type(arg.annotation, function.module, catalog):
            found[arg.arg] = declared
    return found
