"""Edits to one parsed file, applied in one pass, with the imports they need.

Fixers say what to replace and what to insert; this module turns that into new source text.
Imports are reused when the module has them, added once at their sorted place in the import
block (`_imports`), and dropped with libcst's `RemoveImportsVisitor` only when nothing uses
them any more.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TypeVar, cast

import libcst as cst
from libcst.codemod import CodemodContext
from libcst.codemod.visitors import RemoveImportsVisitor
from libcst.helpers import get_full_name_for_node

from firstpatch.patch._imports import add_import, drop_import
from firstpatch.patch._source import SourceFile

CSTNodeT = TypeVar("CSTNodeT", bound=cst.CSTNode)


@dataclass(frozen=True, slots=True)
class _Import:
    bound: str  # the name the import binds in the module
    qualified: str  # what that name refers to: "json", "os.path", "markupsafe.escape"
    loaded: frozenset[str] = frozenset()  # submodules reachable through it: `import a.b` loads a.b
    pending: bool = False  # added by this editor, not yet in the source


class Editor:
    def __init__(self, source: SourceFile) -> None:
        self.source = source
        self._replace: dict[cst.CSTNode, cst.CSTNode] = {}
        self._before: dict[cst.CSTNode, list[cst.BaseStatement]] = {}
        self._after: dict[cst.CSTNode, list[cst.BaseStatement]] = {}
        self._add: list[tuple[str, str | None]] = []
        self._remove: list[tuple[str, str | None]] = []
        self._imports = list(_module_imports(source.module))

    # -- edits -----------------------------------------------------------------------------

    def replace(self, old: cst.CSTNode, new: cst.CSTNode) -> None:
        """Replace `old` by `new`; `new` is built from original nodes, so replaced nodes
        must not nest."""
        self._replace[old] = new

    def insert_before(self, statement: cst.BaseStatement, *new: cst.BaseStatement) -> None:
        self._before.setdefault(statement, []).extend(new)

    def insert_after(self, statement: cst.BaseStatement, *new: cst.BaseStatement) -> None:
        self._after.setdefault(statement, []).extend(new)

    def drop_unused(self, module: str, obj: str | None = None) -> None:
        """Remove `import module` / `from module import obj` if the edits left it unused."""
        self._remove.append((module, obj))

    # -- imports ---------------------------------------------------------------------------

    def existing(self, at: cst.CSTNode, *qualified: str) -> cst.BaseExpression | None:
        """An expression reaching one of `qualified` (dotted names) at `at` through an import
        the module already has, e.g. `escape` for `from markupsafe import escape` (unless a
        local variable of that name hides the import there)."""
        for wanted in qualified:
            owner = wanted.rpartition(".")[0]
            for item in self._imports:
                if not (item.pending or self.source.sees_import(item.bound, at)):
                    continue
                if item.qualified == wanted:
                    return cst.Name(item.bound)
                if owner == item.qualified or owner in item.loaded:
                    return _dotted(item.bound + wanted.removeprefix(item.qualified))
        return None

    def imports_module(self, module: str) -> bool:
        """The module imports `module` or something from it."""
        return any(
            item.qualified == module or item.qualified.startswith(module + ".") or module in item.loaded
            for item in self._imports
        )

    def ref(
        self, module: str, obj: str, at: cst.CSTNode, *, prefer_from: bool = False, also: Sequence[str] = ()
    ) -> cst.BaseExpression | None:
        """An expression for `module.obj` usable at `at`: an existing import (of it or of
        an equivalent in `also`) when there is one, else a new import, in the module's
        style (`import json` → `json.loads`) or `from ... import` when `prefer_from`.
        None when every spelling would clash with a name already in use."""
        reused = self.existing(at, f"{module}.{obj}", *also)
        if reused is not None:
            return reused
        root = module.split(".", maxsplit=1)[0]
        choices = ("from", "module") if prefer_from else ("module", "from")
        for choice in choices:
            if choice == "module" and self.source.is_free(root, at):
                self._need(module, None)
                return _dotted(f"{module}.{obj}")
            if choice == "from" and self.source.is_free(obj, at):
                self._need(module, obj)
                return cst.Name(obj)
        return None

    def _need(self, module: str, obj: str | None) -> None:
        if (module, obj) not in self._add:
            self._add.append((module, obj))
            self._imports.append(dataclasses.replace(_imported(module, obj), pending=True))

    # -- output ----------------------------------------------------------------------------

    def render(self) -> str:
        edited = {*self._replace, *self._before, *self._after}
        # Only the way down to an edited node needs visiting: the rest of the tree is kept as is.
        on_the_way = {ancestor for node in edited for ancestor in self.source.ancestors(node)} | edited
        module = self.source.module.visit(_Apply(self._replace, self._before, self._after, on_the_way))
        for module_name, obj in self._add:
            module = add_import(module, module_name, obj)
        # Imports this file's own scopes say the edits left unused are dropped from their line;
        # libcst's visitor, which re-resolves every name in the module (seconds for a large
        # file), only removes those that stand elsewhere (under `if`/`try`, after a `;`).
        unused = []
        for module_name, obj in self._remove:
            if self._imported(module_name, obj) and self._left_unused(module_name, obj):
                dropped = drop_import(module, module_name, obj)
                if dropped is None:
                    unused.append((module_name, obj))
                else:
                    module = _no_blank_start(dropped, module)
        if unused:
            context = CodemodContext()
            for module_name, obj in unused:
                RemoveImportsVisitor.remove_unused_import(context, module_name, obj)
            module = _no_blank_start(RemoveImportsVisitor(context).transform_module(module), module)
        return module.code

    def _imported(self, module: str, obj: str | None) -> bool:
        """The file has `import module` / `from module import obj` (not one an edit adds)."""
        wanted = _imported(module, obj)
        return any(
            not item.pending and (item.bound, item.qualified) == (wanted.bound, wanted.qualified)
            for item in self._imports
        )

    def _left_unused(self, module: str, obj: str | None) -> bool:
        """Every use of what `import module` / `from module import obj` binds lies inside a
        node the edits replace."""
        bound = obj if obj is not None else module.split(".", maxsplit=1)[0]
        body = self.source.module.body
        scope = self.source.scope(body[0]) if body else None
        if scope is None:
            return False
        for assignment in scope.assignments[bound]:
            for access in assignment.references:
                node = access.node
                if node not in self._replace and not any(
                    a in self._replace for a in self.source.ancestors(node)
                ):
                    return False
        return True


def _no_blank_start(module: cst.Module, before: cst.Module) -> cst.Module:
    """Removing the file's first import leaves the blank line that followed it at the top."""
    if not module.body or not before.body or module.body[0] is before.body[0]:
        return module
    first = module.body[0]
    if not isinstance(first, cst.SimpleStatementLine | cst.BaseCompoundStatement):
        return module
    lines = list(first.leading_lines)
    while lines and lines[0].comment is None:
        lines.pop(0)
    return module.with_changes(body=[first.with_changes(leading_lines=lines), *module.body[1:]])


class _Apply(cst.CSTTransformer):
    def __init__(
        self,
        replace: dict[cst.CSTNode, cst.CSTNode],
        before: dict[cst.CSTNode, list[cst.BaseStatement]],
        after: dict[cst.CSTNode, list[cst.BaseStatement]],
        on_the_way: set[cst.CSTNode],
    ) -> None:
        super().__init__()
        self._replace, self._before, self._after = replace, before, after
        self._on_the_way = on_the_way

    def on_visit(self, node: cst.CSTNode) -> bool:
        return node in self._on_the_way

    def on_leave(
        self, original_node: CSTNodeT, updated_node: CSTNodeT
    ) -> CSTNodeT | cst.RemovalSentinel | cst.FlattenSentinel[CSTNodeT]:
        # A replacement fits wherever the node it replaces did (the fixers build it so);
        # the transformer's signature cannot say that, hence the one cast.
        return cast(CSTNodeT | cst.FlattenSentinel[CSTNodeT], self._edited(original_node, updated_node))

    def _edited(
        self, original: cst.CSTNode, updated: cst.CSTNode
    ) -> cst.CSTNode | cst.FlattenSentinel[cst.BaseStatement]:
        node = self._replace.get(original, updated)
        before = self._before.get(original, [])
        after = self._after.get(original, [])
        if not (before or after) or not isinstance(node, cst.SimpleStatementLine | cst.BaseCompoundStatement):
            return node
        first = before[0] if before else None
        if isinstance(first, cst.SimpleStatementLine | cst.BaseCompoundStatement):
            # Comments above the statement stay above the block that now leads into it.
            before = [first.with_changes(leading_lines=node.leading_lines), *before[1:]]
            node = node.with_changes(leading_lines=())
        return cst.FlattenSentinel([*before, node, *after])


def _dotted(name: str) -> cst.BaseExpression:
    parts = name.split(".")
    expression: cst.BaseExpression = cst.Name(parts[0])
    for part in parts[1:]:
        expression = cst.Attribute(expression, cst.Name(part))
    return expression


def _imported(module: str, obj: str | None, asname: str | None = None) -> _Import:
    """What `import module [as asname]` or `from module import obj [as asname]` binds."""
    if obj is not None:
        return _Import(asname or obj, f"{module}.{obj}")
    if asname is not None:
        return _Import(asname, module)
    root = module.split(".", maxsplit=1)[0]
    parts = module.split(".")
    loaded = {".".join(parts[:end]) for end in range(1, len(parts) + 1)}
    if root == "os":
        loaded.add("os.path")  # os imports its path module itself
    return _Import(root, root, frozenset(loaded))


def _module_imports(module: cst.Module) -> Iterator[_Import]:
    """Imports bound at module level, including those under `if`/`try` at the top."""
    for statement in _top_statements(module.body):
        if not isinstance(statement, cst.SimpleStatementLine):
            continue
        for small in statement.body:
            if isinstance(small, cst.Import):
                for alias in small.names:
                    yield _imported(get_full_name_for_node(alias.name) or "", None, _asname(alias))
            elif isinstance(small, cst.ImportFrom) and small.module is not None and not small.relative:
                if isinstance(small.names, cst.ImportStar):
                    continue
                origin = get_full_name_for_node(small.module) or ""
                for alias in small.names:
                    yield _imported(origin, get_full_name_for_node(alias.name) or "", _asname(alias))


def _asname(alias: cst.ImportAlias) -> str | None:
    if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
        return alias.asname.name.value
    return None


def _top_statements(body: Sequence[cst.BaseStatement]) -> Iterator[cst.BaseStatement]:
    for statement in body:
        yield statement
        if isinstance(statement, cst.If | cst.Try):
            blocks: list[cst.BaseSuite] = [statement.body]
            if isinstance(statement, cst.Try):
                blocks += [handler.body for handler in statement.handlers]
            elif isinstance(statement.orelse, cst.Else):
                blocks.append(statement.orelse.body)
            for block in blocks:
                if isinstance(block, cst.IndentedBlock):
                    yield from _top_statements(block.body)
