"""One parsed file with the metadata the fixers need: positions, parents, scopes.

Findings locate their sink with 1-based lines and columns (end exclusive); libcst's
`PositionProvider` counts columns from 0, so every lookup converts here and nowhere else.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from typing import TypeVar

import libcst as cst
from libcst.metadata import (
    Assignment,
    CodeRange,
    ImportAssignment,
    MetadataWrapper,
    ParentNodeProvider,
    PositionProvider,
    Scope,
    ScopeProvider,
)

from firstpatch.model import Location

N = TypeVar("N", bound=cst.CSTNode)

_COMPREHENSIONS = (cst.ListComp, cst.SetComp, cst.DictComp, cst.GeneratorExp, cst.Lambda)


class SourceFile:
    def __init__(self, path: str, text: str) -> None:
        self.path = path
        self.text = text
        # `unsafe_skip_copy` keeps node identity between `self.module` and the metadata.
        wrapper = MetadataWrapper(cst.parse_module(text), unsafe_skip_copy=True)
        self.module = wrapper.module
        self.positions: dict[cst.CSTNode, CodeRange] = dict(wrapper.resolve(PositionProvider))
        self.parents: dict[cst.CSTNode, cst.CSTNode] = dict(wrapper.resolve(ParentNodeProvider))
        self.scopes: dict[cst.CSTNode, Scope | None] = dict(wrapper.resolve(ScopeProvider))

    @staticmethod
    def parse(path: str, text: str) -> SourceFile | None:
        """None when the file is not valid Python: there is nothing to rewrite then."""
        return _parse(path, text)

    def code(self, node: cst.CSTNode) -> str:
        return self.module.code_for_node(node)

    # -- finding nodes ---------------------------------------------------------------------

    def nodes_starting(self, location: Location) -> list[cst.CSTNode]:
        """Nodes spanning exactly `location`, innermost first; when the location has no end,
        every node starting where it starts."""
        start = (location.line, location.column - 1)
        end = (location.end_line, location.end_column - 1) if location.end_line else None
        found: list[tuple[int, cst.CSTNode]] = []
        for node, where in self.positions.items():
            if (where.start.line, where.start.column) != start:
                continue
            if end is None or (where.end.line, where.end.column) == end:
                found.append((self._size(where), node))
        found.sort(key=lambda item: item[0])
        return [node for _, node in found]

    def nodes_at(self, location: Location, kind: type[N]) -> list[N]:
        return [node for node in self.nodes_starting(location) if isinstance(node, kind)]

    def contains(self, node: cst.CSTNode, location: Location) -> bool:
        where = self.positions[node]
        return where.start.line <= location.line <= where.end.line

    def call_at(self, location: Location) -> cst.Call | None:
        calls = self.nodes_at(location, cst.Call)
        return calls[0] if calls else None

    @staticmethod
    def _size(where: CodeRange) -> int:
        return (where.end.line - where.start.line) * 100_000 + where.end.column - where.start.column

    def start(self, node: cst.CSTNode) -> tuple[int, int]:
        where = self.positions[node].start
        return where.line, where.column

    # -- structure -------------------------------------------------------------------------

    def ancestors(self, node: cst.CSTNode) -> Iterator[cst.CSTNode]:
        while node in self.parents:
            node = self.parents[node]
            yield node

    def function_of(self, node: cst.CSTNode) -> cst.FunctionDef | None:
        for ancestor in self.ancestors(node):
            if isinstance(ancestor, cst.FunctionDef):
                return ancestor
        return None

    def statement_of(self, node: cst.CSTNode) -> cst.BaseStatement | None:
        """The statement in a block that evaluates `node` exactly once, first thing.

        None when a new statement placed before it would run under different conditions:
        `node` sits in a loop test, a branch body on the same line, an `elif`, the right of
        `and`/`or`, a conditional expression, a comprehension, or after a `;`.
        """
        child = node
        for parent in self.ancestors(node):
            if isinstance(parent, (cst.IndentedBlock, cst.Module)):
                return child if isinstance(child, cst.BaseStatement) else None
            if isinstance(parent, (cst.While, cst.SimpleStatementSuite, *_COMPREHENSIONS)):
                return None
            if isinstance(parent, cst.If) and child is not parent.test:
                return None
            if isinstance(parent, cst.For) and child is not parent.iter:
                return None
            if isinstance(parent, cst.With) and child is parent.body:
                return None
            if isinstance(parent, (cst.Try, cst.TryStar, cst.FunctionDef, cst.ClassDef)):
                return None
            if isinstance(parent, cst.BooleanOperation) and child is parent.right:
                return None
            if isinstance(parent, cst.IfExp) and child is not parent.test:
                return None
            if isinstance(parent, cst.SimpleStatementLine) and child is not parent.body[0]:
                return None  # `a = 1; use(a)`: a statement placed first would run before `a = 1`
            child = parent
        return None

    # -- names -----------------------------------------------------------------------------

    def scope(self, node: cst.CSTNode) -> Scope | None:
        return self.scopes.get(node)

    def qualified_names(self, node: cst.CSTNode) -> set[str]:
        scope = self.scope(node)
        if scope is None:
            return set()
        return {qualified.name for qualified in scope.get_qualified_names_for(node)}

    def is_free(self, name: str, at: cst.CSTNode) -> bool:
        """True when `name` is bound nowhere visible from `at` (builtins included) nor in
        the module, so that a new binding of it cannot shadow or be shadowed."""
        scope = self.scope(at)
        if scope is not None and name in scope:
            return False
        globals_ = self.scope(self.module.body[0]) if self.module.body else None
        return globals_ is None or name not in globals_

    def sees_import(self, name: str, at: cst.CSTNode) -> bool:
        """`name` at `at` refers to an import (and not to a variable hiding it)."""
        scope = self.scope(at)
        if scope is None:
            return True
        found = list(scope[name])
        return bool(found) and all(isinstance(binding, ImportAssignment) for binding in found)

    def fresh_name(self, wanted: str, at: cst.CSTNode) -> str:
        name, counter = wanted, 1
        while not self.is_free(name, at):
            counter += 1
            name = f"{wanted}_{counter}"
        return name

    def single_assignment(self, name: cst.Name) -> cst.Assign | None:
        """The only binding of a local variable in its function, when it is a plain
        `name = value` placed before `name` is read; None otherwise."""
        scope = self.scope(name)
        if scope is None or self.function_of(name) is None:
            return None
        bindings = list(scope.assignments[name.value])
        if len(bindings) != 1 or not isinstance(bindings[0], Assignment):
            return None
        target = bindings[0].node
        statement = self.parents.get(target)
        assign = self.parents.get(statement) if isinstance(statement, cst.AssignTarget) else None
        if not isinstance(assign, cst.Assign) or len(assign.targets) != 1:
            return None
        if self.start(assign) >= self.start(name):
            return None
        return assign

    def assignment_reaching(self, name: cst.Name) -> cst.Assign | None:
        """The plain `name = value` whose value a read of a local variable sees: its only
        assignment (`single_assignment`), or else the nearest one before the read when both
        stand in the same block, so that nothing can rebind the name between them
        (`path = None` earlier, then `path = f"..."; open(path)` in a `try` body)."""
        single = self.single_assignment(name)
        if single is not None:
            return single
        scope = self.scope(name)
        if scope is None or self.function_of(name) is None:
            return None
        bound = list(scope.assignments[name.value])
        every = [binding for binding in bound if isinstance(binding, Assignment)]
        if not every or len(every) != len(bound):
            return None  # an import or a `global` binds it too
        read_at = self.start(name)
        before = [b.node for b in every if b.node in self.positions and self.start(b.node) < read_at]
        if not before:
            return None
        target = self.parents.get(max(before, key=self.start))
        assign = self.parents.get(target) if isinstance(target, cst.AssignTarget) else None
        if not isinstance(assign, cst.Assign) or len(assign.targets) != 1:
            return None
        line = self.parents.get(assign)
        if not isinstance(line, cst.SimpleStatementLine) or len(line.body) != 1:
            return None
        block = self.parents.get(line)
        if not isinstance(block, cst.IndentedBlock):
            return None
        chain = (name, *self.ancestors(name))
        reader = next((node for node in chain if self.parents.get(node) is block), None)
        if reader is None or reader is line:
            return None
        # A loop inside the reading statement could come back to the read after a later binding.
        span = self.positions[reader]
        end = (span.end.line, span.end.column)
        if any(read_at < self.start(b.node) <= end for b in every if b.node in self.positions):
            return None
        return assign

    def bindings(self, name: cst.Name) -> list[cst.CSTNode]:
        """Every node that binds `name` in the scope it is read in."""
        scope = self.scope(name)
        if scope is None:
            return []
        return [binding.node for binding in scope.assignments[name.value] if isinstance(binding, Assignment)]

    def reads(self, name: cst.Name) -> list[cst.Name]:
        """Every read of the variable `name` refers to, in its scope."""
        scope = self.scope(name)
        if scope is None:
            return []
        found: list[cst.Name] = []
        for access in scope.accesses[name.value]:
            if isinstance(access.node, cst.Name):
                found.append(access.node)
        return found

    def parameter_index(self, function: cst.FunctionDef, name: str) -> int | None:
        for index, param in enumerate(function.params.params):
            if param.name.value == name:
                return index
        return None

    def parameter(self, name: cst.Name) -> cst.Param | None:
        """The parameter `name` reads, when its function never assigns it otherwise."""
        function = self.function_of(name)
        if function is None or self.bindings_besides_parameter(name):
            return None
        params = function.params
        every = (*params.posonly_params, *params.params, *params.kwonly_params)
        return next((param for param in every if param.name.value == name.value), None)

    def is_parameter(self, name: cst.Name) -> bool:
        return self.parameter(name) is not None

    def calls_one_of(self, node: cst.BaseExpression, names: frozenset[str]) -> bool:
        """`node` is a call to one of `names` (qualified), directly or through a local
        variable assigned once from such a call."""
        if isinstance(node, cst.Name):
            assign = self.single_assignment(node)
            node = assign.value if assign is not None else node
        return isinstance(node, cst.Call) and bool(self.qualified_names(node.func) & names)

    def bindings_besides_parameter(self, name: cst.Name) -> list[cst.CSTNode]:
        return [node for node in self.bindings(name) if not isinstance(node, cst.Param)]


# Parsing with metadata is libcst's slow part (about a second for a few hundred lines), and a
# file with several findings is read once per finding: keep the last few. A SourceFile is
# never changed after it is built (edits make new trees), so sharing one is safe.
@functools.lru_cache(maxsize=8)
def _parse(path: str, text: str) -> SourceFile | None:
    try:
        return SourceFile(path, text)
    except cst.ParserSyntaxError:
        return None
