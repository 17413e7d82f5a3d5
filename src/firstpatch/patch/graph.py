"""Which of the target's modules import which, read statically: what a change can reach.

Verification uses it three ways: a rescan after a patch may analyse only the modules the change
can affect (`affected`); two patches share a batch only when neither can run during the other
finding's reproducer (`reach`); a test that fails in a batch is blamed on the patches whose
files it imports (`reach` of the test file).

Modules are parsed with `ast`, never imported; a module written for a newer Python than the one
running (3.12 f-strings on 3.11) has its import lines parsed alone, since an import statement has
no newer syntax. Every import statement counts, wherever it stands (functions often import
locally), with every package on its way: `import a.b.c` and `from a.b import c` run a, a.b and
a.b.c. A dotted name that is not a module of the tree by its path may still be one in a `src/`
layout: a unique suffix match is taken, as the analyser resolves names. Imports made at run time
(`importlib.import_module(name)`) are not seen.
"""

from __future__ import annotations

import ast
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from firstpatch.analysis.program import module_name
from firstpatch.target import Target


@dataclass(frozen=True, slots=True)
class ModuleGraph:
    paths: frozenset[str]  # every Python file of the tree, relative, "/" separators
    imports: dict[str, frozenset[str]]  # path → the tree's files it imports

    @classmethod
    def read(cls, root: Path) -> ModuleGraph:
        target = Target.open(root)
        names: dict[str, str] = {}
        trees: dict[str, ast.Module] = {}
        for path in target.files(suffixes=(".py",)):
            relative = target.relative(path)
            name, _ = module_name(relative)
            names[name] = relative
            text = target.read_text(path)
            tree = _imports_of(text) if text is not None else None
            if tree is not None:
                trees[relative] = tree
        suffixes: dict[str, list[str]] = {}
        for name in names:
            parts = name.split(".")
            for cut in range(1, len(parts)):
                suffixes.setdefault(".".join(parts[cut:]), []).append(name)

        def resolve(dotted: str) -> str | None:
            if dotted in names:
                return names[dotted]
            found = suffixes.get(dotted, ())
            return names[found[0]] if len(found) == 1 else None

        imports: dict[str, frozenset[str]] = {}
        for relative, tree in trees.items():
            name, is_package = module_name(relative)
            found = {resolve(dotted) for dotted in _imported_names(tree, name, is_package)}
            imports[relative] = frozenset(path for path in found if path is not None and path != relative)
        return cls(frozenset(names.values()), imports)

    def reach(self, paths: Iterable[str]) -> frozenset[str]:
        """`paths` and every file of the tree they import, directly or not."""
        seen = set(paths)
        pending = list(seen)
        while pending:
            for imported in self.imports.get(pending.pop(), ()):
                if imported not in seen:
                    seen.add(imported)
                    pending.append(imported)
        return frozenset(seen)

    def importers(self, paths: Iterable[str]) -> frozenset[str]:
        """`paths` and every file that imports one of them, directly or not."""
        by: dict[str, set[str]] = {}
        for importer, imported in self.imports.items():
            for path in imported:
                by.setdefault(path, set()).add(importer)
        seen = set(paths)
        pending = list(seen)
        while pending:
            for importer in by.get(pending.pop(), ()):
                if importer not in seen:
                    seen.add(importer)
                    pending.append(importer)
        return frozenset(seen)

    def affected(self, changed: Iterable[str], trace: Iterable[str] = ()) -> frozenset[str]:
        """What a rescan after changing `changed` analyses to judge a finding whose trace passes
        through `trace`: those files and everything they import (the summaries of what the
        changed code calls are then exact), and every file importing a changed one (its
        callers). Not what those callers import besides: a module importing every other (an
        application's URL table) would otherwise bring in the whole tree. A flow that leaves
        the changed code up into a caller and then down into a module outside this set is
        the one kind a scoped rescan does not see."""
        changed = set(changed)
        return (self.importers(changed) | self.reach(changed | set(trace))) & self.paths


def _imports_of(text: str) -> ast.Module | None:
    """The module's syntax tree, or one of its import statements alone when the whole does not
    parse here; None when neither does."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # invalid escapes in the target's strings
            return ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        pass
    statements: list[ast.stmt] = []
    lines = text.splitlines()
    index = 0
    while index < len(lines):
        line = lines[index].strip()
        index += 1
        if not line.startswith(("import ", "from ")):
            continue
        # A parenthesised or continued import goes on over the next lines.
        while (line.count("(") > line.count(")") or line.endswith("\\")) and index < len(lines):
            line = line.removesuffix("\\") + " " + lines[index].strip()
            index += 1
        try:
            statements.extend(ast.parse(line).body)
        except SyntaxError:
            continue  # a line of prose in a string that happens to start with "from "
    return ast.Module(body=statements, type_ignores=[])


def _imported_names(tree: ast.Module, name: str, is_package: bool) -> set[str]:
    """Every dotted module name an import in the module may load, packages on the way included."""
    package = name.split(".") if is_package else name.split(".")[:-1]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                found.update(_prefixes(alias.name))
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                if node.level - 1 > len(package):
                    continue
                base = package[: len(package) - (node.level - 1)]
                module = ".".join([*base, *([node.module] if node.module else [])])
            else:
                module = node.module or ""
            if not module:
                continue
            found.update(_prefixes(module))
            found.update(f"{module}.{alias.name}" for alias in node.names if alias.name != "*")
    return found


def _prefixes(dotted: str) -> list[str]:
    parts = dotted.split(".")
    return [".".join(parts[:end]) for end in range(1, len(parts) + 1)]
