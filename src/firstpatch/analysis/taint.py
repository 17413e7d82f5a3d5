"""Taint labels and function summaries: the values the interprocedural analysis computes.

A label says where a value may come from (a source read somewhere, or a parameter of the
function being summarised), which CWEs it has been sanitised for, and the steps it took.
Steps are kept for the report but left out of equality, so summaries reach a fixpoint.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from firstpatch.analysis.models import ALL_CWES, INJECTION_CWES, TRUST_BOUNDARY_CWE, SourceModel
from firstpatch.model import Location, Step

MAX_STEPS = 24


@dataclass(frozen=True, slots=True)
class SourceOrigin:
    model: SourceModel
    parameter: str | None
    function: str  # qualified name of the function that read it
    location: Location
    code: str


@dataclass(frozen=True, slots=True)
class ParamOrigin:
    """The value of a parameter, or of a field below it (`field` ".value" is `param.value`)."""

    index: int
    field: str = ""


Origin = SourceOrigin | ParamOrigin


@dataclass(frozen=True, slots=True)
class Label:
    origin: Origin
    cleared: frozenset[int] = frozenset()
    steps: tuple[Step, ...] = field(default=(), compare=False, hash=False)

    def affects(self, cwe: int) -> bool:
        if cwe in self.cleared or not ALL_CWES.isdisjoint(self.cleared):
            return False
        return cwe == TRUST_BOUNDARY_CWE or INJECTION_CWES.isdisjoint(self.cleared)

    def extended(self, *steps: Step) -> Label:
        return replace(self, steps=(*self.steps, *steps)[-MAX_STEPS:])

    def sanitised(self, cwes: frozenset[int]) -> Label:
        return replace(self, cleared=self.cleared | cwes)


Taint = frozenset[Label]
CLEAN: Taint = frozenset()


def join(*taints: Iterable[Label]) -> Taint:
    """Union that keeps the first trace seen for each (origin, cleared) pair."""
    merged: dict[Label, Label] = {}
    for taint in taints:
        for label in taint:
            merged.setdefault(label, label)
    return frozenset(merged.values())


def extend(taint: Taint, *steps: Step) -> Taint:
    return frozenset(label.extended(*steps) for label in taint)


@dataclass(frozen=True, slots=True)
class SinkSite:
    cwe: int
    location: Location
    code: str  # the sink call's text, for the fingerprint
    function: str = ""  # the qualified name of the function holding it, for the fingerprint


@dataclass(frozen=True, slots=True)
class ParamSink:
    """A parameter of the summarised function reaches a sink inside it (or in its callees)."""

    index: int
    sink: SinkSite
    cleared: frozenset[int] = frozenset()
    steps: tuple[Step, ...] = field(default=(), compare=False, hash=False)
    field: str = ""


@dataclass(frozen=True, slots=True)
class FieldWrite:
    """The summarised function leaves `label` in a field of one of its parameters
    (`self.value = value` in a constructor)."""

    index: int
    field: str
    label: Label


@dataclass(frozen=True, slots=True)
class Summary:
    returns: Taint = CLEAN
    param_sinks: frozenset[ParamSink] = frozenset()
    writes: frozenset[FieldWrite] = frozenset()


@dataclass(frozen=True, slots=True)
class Flow:
    """A source that reaches a sink: a finding before rules and entry points are attached."""

    source: SourceOrigin
    sink: SinkSite
    steps: tuple[Step, ...]
