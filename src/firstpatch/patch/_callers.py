"""Where a helper's parameter comes from: the calls the finding's trace passes through.

When the sink uses a parameter of its function (`run_query(sql)` → `cursor.execute(sql)`),
the value was built by a caller, and the fix belongs there. The trace names the call sites on
the way to the sink; this module finds each one and the argument it passes for the parameter,
nearest the sink first, reading other files of the target through the fixer's `Reader`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import libcst as cst

from firstpatch.model import Finding, Location
from firstpatch.patch._base import argument, callee
from firstpatch.patch._source import SourceFile
from firstpatch.patch.interface import Reader


@dataclass(frozen=True, slots=True)
class PassedArgument:
    """One call of the helper and the argument it passes for the parameter."""

    source: SourceFile  # the caller's file
    call: cst.Call
    arg: cst.Arg


def passed_arguments(
    source: SourceFile, param: cst.Name, finding: Finding, read: Reader
) -> Iterator[PassedArgument]:
    """The arguments passed for the parameter `param` reads, at the calls of its function that
    the trace passes through (a method's `self` is not written at `obj.helper(x)`)."""
    function = source.function_of(param)
    if function is None:
        return
    index = source.parameter_index(function, param.value)
    params = function.params.params
    method = bool(params) and params[0].name.value in ("self", "cls")
    parsed = {source.path: source}
    for step in reversed(finding.trace):
        where = step.location
        if where.path == source.path and source.contains(function, where):
            continue  # a step inside the helper itself
        if where.path not in parsed:
            text = read(where.path)
            other = SourceFile.parse(where.path, text) if text is not None else None
            if other is None:
                continue
            parsed[where.path] = other
        caller = parsed[where.path]
        for call in _calls_at(caller, where):
            if callee(call) != function.name.value:
                continue
            position = index if index is not None else -1
            if method and isinstance(call.func, cst.Attribute) and position > 0:
                position -= 1
            arg = argument(call, position, param.value)
            if arg is not None:
                yield PassedArgument(caller, call, arg)


def _calls_at(source: SourceFile, where: Location) -> Iterator[cst.Call]:
    """Calls starting at a trace step, or holding as an argument the expression that does."""
    for node in source.nodes_starting(where):
        if isinstance(node, cst.Call):
            yield node
        parent = source.parents.get(node)
        holder = source.parents.get(parent) if isinstance(parent, cst.Arg) else None
        if isinstance(holder, cst.Call):
            yield holder
