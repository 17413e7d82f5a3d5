"""Applying a callee's summary at a call site: what the call returns, which of the caller's
values reach sinks inside the callee, and what the callee leaves in the fields of its arguments."""

from __future__ import annotations

import ast
from dataclasses import replace
from typing import TYPE_CHECKING

from firstpatch.analysis.locations import location
from firstpatch.analysis.program import Function, Program
from firstpatch.analysis.state import State, below
from firstpatch.analysis.syntax import access_path
from firstpatch.analysis.taint import (
    CLEAN,
    FieldWrite,
    Flow,
    Label,
    ParamOrigin,
    ParamSink,
    SourceOrigin,
    Summary,
    Taint,
    join,
)
from firstpatch.model import Step, StepKind

if TYPE_CHECKING:
    from firstpatch.analysis.flow import FunctionFlow


def apply_summary(
    flow: FunctionFlow,
    callee: Function,
    implicit: int,
    call: ast.Call,
    args: list[Taint],
    keywords: dict[str, Taint],
    receiver: Taint,
    state: State,
) -> Taint:
    flow.result.callees.add(callee.qualname)
    params = callee.params
    by_index: dict[int, Taint] = {0: receiver} if implicit else {}
    paths: dict[int, str | None] = {}
    if implicit and isinstance(call.func, ast.Attribute):
        paths[0] = access_path(call.func.value, state.consts)
    for position, (taint, node) in enumerate(zip(args, call.args, strict=False)):
        by_index[position + implicit] = taint
        paths[position + implicit] = access_path(node, state.consts)
    for keyword in call.keywords:
        if keyword.arg in params and keyword.arg in keywords:
            by_index[params.index(keyword.arg)] = keywords[keyword.arg]
            paths[params.index(keyword.arg)] = access_path(keyword.value, state.consts)

    def argument(index: int, field: str) -> Taint:
        """The caller's value for a parameter, or for a field below it."""
        path = paths.get(index)
        if field and path is not None:
            return _field_of(state, path, field)
        return by_index.get(index, CLEAN)

    here = location(flow.module, call)
    call_step = Step(StepKind.CALL, here, f"passed to {callee.node.name}()")
    summary = flow.summaries.get(callee.qualname, Summary())
    for param_sink in summary.param_sinks:
        for label in argument(param_sink.index, param_sink.field):
            merged = label.sanitised(param_sink.cleared)
            if not merged.affects(param_sink.sink.cwe):
                continue
            steps = (*label.steps, call_step, *param_sink.steps)
            match label.origin:
                case SourceOrigin() as source:
                    flow.result.flows.append(Flow(source, param_sink.sink, steps))
                case ParamOrigin(index=index, field=field):
                    flow.param_sinks.add(ParamSink(index, param_sink.sink, merged.cleared, steps, field))
    return_step = Step(StepKind.RETURN, here, f"returned from {callee.node.name}()")

    def resolved(label: Label) -> list[Label]:
        match label.origin:
            case ParamOrigin(index=index, field=field):
                return [
                    arg.sanitised(label.cleared).extended(call_step, *label.steps, return_step)
                    for arg in argument(index, field)
                ]
            case SourceOrigin() as source if flow.function.routes and not _is_routed(flow.program, source):
                # Read in a helper shared by many routes: this route is the flow's entry point.
                relocated = replace(source, function=flow.function.qualname)
                return [replace(label, origin=relocated).extended(return_step)]
            case SourceOrigin():
                return [label.extended(return_step)]
        return []

    writes: dict[tuple[int, str], list[Label]] = {}
    for write in summary.writes:
        writes.setdefault((write.index, write.field), []).extend(
            resolved(write.label) if write.label is not NOTHING else []
        )
    fields: dict[str, Taint] = {}
    for (index, field), labels in writes.items():
        if implicit and index == 0 and callee.node.name == "__init__":
            fields[field] = join(labels)  # the new object's fields, for the assignment to take
        elif (path := paths.get(index)) is not None:
            state.forget(path + field)
            state.taint[path + field] = join(labels)
    if fields:
        flow.new_object_fields[id(call)] = fields
    return join(label for returned in summary.returns for label in resolved(returned))


NOTHING = Label(ParamOrigin(-1))


def _is_routed(program: Program, source: SourceOrigin) -> bool:
    function = program.functions.get(source.function)
    return function is not None and bool(function.routes)  # a field written with a clean value


def narrowed(taint: Taint, suffix: str) -> Taint:
    """Reading `.attr` or `[key]` of a parameter is reading that field of the caller's value."""
    if not any(isinstance(label.origin, ParamOrigin) for label in taint):
        return taint
    return frozenset(
        replace(label, origin=ParamOrigin(label.origin.index, label.origin.field + suffix))
        if isinstance(label.origin, ParamOrigin)
        else label
        for label in taint
    )


def _field_of(state: State, path: str, field: str) -> Taint:
    """The caller's taint at `path` + `field`: the field if it is tracked, else the object's own."""
    full = path + field
    prefixes = below(full)
    if full in state.taint or any(k.startswith(prefixes) for k in state.taint):
        return state.read(full)
    return state.taint.get(path, CLEAN) if path in state.taint else state.read(path)


def field_writes(flow: FunctionFlow, state: State) -> frozenset[FieldWrite]:
    """What the function leaves in its parameters' fields: `flow.x = ...` and the like."""
    writes: set[FieldWrite] = set()
    for index, name in enumerate(flow.function.params):
        original = frozenset({Label(ParamOrigin(index))})
        if state.taint.get(name) != original:
            continue  # the parameter was rebound: its fields are another object's
        prefixes = below(name)
        for path, taint in state.taint.items():
            if path.startswith(prefixes):
                suffix = path[len(name) :]
                writes.update(FieldWrite(index, suffix, label) for label in taint)
                if not taint:
                    writes.add(FieldWrite(index, suffix, NOTHING))
    return frozenset(writes)
