"""The target as the agent's tools see it: files inside the root, the program model, the routes.

Everything here reads text through `Target`'s trust rules and the analysis stage's parser; nothing
is imported or run. Paths the model names are resolved against the root and refused when they
leave it (absolute paths, `..`, symlinks out), name a tool folder, or are too large.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path, PurePosixPath

from firstpatch.analysis.declared_types import collect_class_types
from firstpatch.analysis.entrypoints import attach_routes
from firstpatch.analysis.locations import location
from firstpatch.analysis.models import load_catalog
from firstpatch.analysis.parsing import ParseFailure, parse_module
from firstpatch.analysis.program import Function, FunctionNode, Module, Program, build_program, module_name
from firstpatch.model import EntryPoint, Location
from firstpatch.patch.tree import inside
from firstpatch.target import MAX_FILE_BYTES, SKIPPED_DIRS, Target

MAX_LINES_SHOWN = 400
MAX_CHARS_SHOWN = 40_000


class Refused(Exception):
    """A tool request outside what the agent may do; the message goes back to the model."""


@dataclass(frozen=True, slots=True)
class Route:
    """One HTTP entry point: a handler and one URL rule it serves."""

    framework: str
    function: str
    rule: str
    methods: tuple[str, ...]
    path: str
    line: int

    def entry_point(self) -> EntryPoint:
        return EntryPoint(
            self.framework, self.function, Location(self.path, self.line), self.rule, self.methods
        )


class Workspace:
    def __init__(self, root: Path) -> None:
        self.target = Target.open(root)
        self.root = self.target.root

    @cached_property
    def program(self) -> Program:
        modules: list[Module] = []
        for path in self.target.files(suffixes=(".py",)):
            text = self.target.read_text(path)
            if text is None:
                continue
            relative = self.target.relative(path)
            parsed = parse_module(text, relative)
            if isinstance(parsed, ParseFailure):
                continue
            name, is_package = module_name(relative)
            modules.append(Module(name, relative, parsed.tree, parsed.lines, is_package=is_package))
        # The same three steps as the taint engine: routes are attached once the types of the
        # application objects (Flask, Blueprint, APIRouter, ...) are known.
        catalog = load_catalog()
        program = build_program(modules, catalog)
        attach_routes(program, catalog, collect_class_types(program, catalog))
        return program

    @cached_property
    def routes(self) -> tuple[Route, ...]:
        found = []
        for function in self.program.functions.values():
            for route in function.routes:
                found.append(
                    Route(
                        route.framework,
                        function.qualname,
                        route.rule,
                        route.methods,
                        function.module.path,
                        function.node.lineno,
                    )
                )
        return tuple(sorted(found, key=lambda r: (r.path, r.line, r.rule)))

    def route_of(self, function: str) -> Route | None:
        return next((route for route in self.routes if route.function == function), None)

    def read_file(self, relative: str, first: int = 1, last: int | None = None) -> str:
        """Numbered lines of a file inside the root."""
        path = self._resolve(relative)
        try:
            if path.stat().st_size > MAX_FILE_BYTES:
                raise Refused(f"{relative}: larger than {MAX_FILE_BYTES // 1024} KiB")
            text = path.read_bytes().decode("utf-8")
        except UnicodeDecodeError as exc:
            raise Refused(f"{relative}: not UTF-8 text") from exc
        except OSError as exc:
            raise Refused(f"{relative}: cannot read: {exc.strerror}") from exc
        lines = text.split("\n")
        first = max(1, first)
        last = min(len(lines), last or len(lines), first + MAX_LINES_SHOWN - 1)
        shown = "\n".join(f"{n:>5}  {lines[n - 1]}" for n in range(first, last + 1))[:MAX_CHARS_SHOWN]
        more = (
            f"\n[{len(lines) - last} more lines: ask for first_line={last + 1}]" if last < len(lines) else ""
        )
        return shown + more

    def definition(self, name: str) -> str:
        """The source of a function or class by qualified name, or by its last part when unique."""
        matches = self._lookup(name)
        if not matches:
            raise Refused(f"no function or class named {name!r} in the target (try list_entry_points)")
        if len(matches) > 1:
            names = ", ".join(sorted(qualname for qualname, _, _ in matches)[:20])
            raise Refused(f"{name!r} is ambiguous; qualified names: {names}")
        qualname, module, node = matches[0]
        where = location(module, node, whole_line=True)
        start = min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", ()))])
        source = "\n".join(module.lines[start - 1 : node.end_lineno or node.lineno])
        return f"{qualname} defined at {where.path}:{where.line}\n{source}"

    def function(self, qualname: str) -> Function | None:
        return self.program.functions.get(qualname)

    def handler_source(self, qualname: str) -> str:
        function = self.program.functions.get(qualname)
        if function is None:
            return ""
        node = function.node
        start = min([node.lineno, *(d.lineno for d in node.decorator_list)])
        return "\n".join(function.module.lines[start - 1 : node.end_lineno or node.lineno])

    def _lookup(self, name: str) -> list[tuple[str, Module, FunctionNode | ast.ClassDef]]:
        program = self.program
        found: list[tuple[str, Module, FunctionNode | ast.ClassDef]] = []
        for qualname, function in program.functions.items():
            if qualname == name or qualname.endswith("." + name):
                found.append((qualname, function.module, function.node))
        for qualname, node in program.classes.items():
            if qualname == name or qualname.endswith("." + name):
                module = next(
                    (m for m in program.modules.values() if qualname.startswith(m.name + ".")), None
                )
                if module is not None:
                    found.append((qualname, module, node))
        exact = [match for match in found if match[0] == name]
        return exact or found

    def _resolve(self, relative: str) -> Path:
        if not relative or "\x00" in relative:
            raise Refused("an empty path")
        parts = PurePosixPath(relative).parts
        if PurePosixPath(relative).is_absolute() or ".." in parts:
            raise Refused(f"{relative}: outside the target; paths are relative to its root")
        if any(part in SKIPPED_DIRS for part in parts):
            raise Refused(f"{relative}: inside a tool or vendored folder, not the project's code")
        path = inside(self.root, relative)
        if path is None:
            raise Refused(f"{relative}: outside the target (a symlink leads out)")
        if not path.is_file():
            raise Refused(f"{relative}: no such file in the target")
        return path
