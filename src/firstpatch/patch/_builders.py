"""Where a string that reaches a sink is built: inline, or in a local variable's assignments."""

from __future__ import annotations

import libcst as cst

from firstpatch.patch._source import SourceFile
from firstpatch.patch._strings import Built, decompose


def assigned(source: SourceFile, name: cst.Name) -> list[cst.BaseExpression]:
    """Every value assigned (`=` or `+=`) to the variable `name` in its function."""
    if source.function_of(name) is None:
        return []
    values: list[cst.BaseExpression] = []
    for binding in source.bindings(name):
        parent = source.parents.get(binding)
        if isinstance(parent, cst.AssignTarget):
            assign = source.parents.get(parent)
            if isinstance(assign, cst.Assign):
                values.append(assign.value)
        elif isinstance(parent, cst.AugAssign) and isinstance(parent.operator, cst.AddAssign):
            values.append(parent.value)
    return values


def builders(source: SourceFile, expression: cst.BaseExpression) -> list[Built]:
    """The expressions building `expression`'s text: itself when it pastes values into
    literals, else each assignment of the local variable it names that does."""
    built = decompose(expression)
    if built is not None:
        return [built]
    if isinstance(expression, cst.Name):
        return [b for b in map(decompose, assigned(source, expression)) if b is not None]
    return []
