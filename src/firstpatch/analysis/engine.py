"""The taint analyser: parse, build the program model, solve summaries, report flows.

Summaries are computed to a fixpoint over the call graph with a worklist: a function is
re-analysed whenever the summary of a function it calls changes, which also settles recursion.
"""

from __future__ import annotations

import functools
import gc
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

from firstpatch.analysis.declared_types import ClassTypes, collect_class_types
from firstpatch.analysis.entrypoints import attach_routes
from firstpatch.analysis.flow import FunctionResult
from firstpatch.analysis.forked import in_children
from firstpatch.analysis.interface import AnalysisResult, Analyzer, Rule
from firstpatch.analysis.locations import location
from firstpatch.analysis.models import Catalog, load_catalog
from firstpatch.analysis.parsing import ParseFailure, parse_module
from firstpatch.analysis.patterns import PATTERN_RULES, pattern_findings
from firstpatch.analysis.program import MODULE_BODY, Function, Module, Program, build_program, module_name
from firstpatch.analysis.rules import RULES, RULES_BY_CWE
from firstpatch.analysis.solver import Solver, default_jobs
from firstpatch.analysis.taint import Flow
from firstpatch.model import (
    Confidence,
    EntryPoint,
    Finding,
    FindingKind,
    Fingerprint,
    InputKind,
    Severity,
    Skipped,
    fingerprint,
)
from firstpatch.target import Target

APART_FROM = 1000  # functions; below this, forking and sending results back cost more than they save
_PROGRAM_INPUTS = frozenset({InputKind.ARGV, InputKind.ENV, InputKind.STDIN})
_LOWER = {
    Severity.CRITICAL: Severity.HIGH,
    Severity.HIGH: Severity.MEDIUM,
    Severity.MEDIUM: Severity.LOW,
    Severity.LOW: Severity.LOW,
    Severity.NONE: Severity.NONE,
}


class TaintAnalyzer(Analyzer):
    def __init__(self, catalog: Catalog | None = None, jobs: int | None = None) -> None:
        self.catalog = catalog or load_catalog()
        self.jobs = default_jobs() if jobs is None else jobs

    def rules(self) -> tuple[Rule, ...]:
        return (*RULES, *PATTERN_RULES)

    def analyze(self, target: Target) -> AnalysisResult:
        with _rare_collections():
            return self._analyze(target)

    def _analyze(self, target: Target) -> AnalysisResult:
        modules, skipped = _load_modules(target)
        gc.freeze()  # the syntax trees: no later collection need look at them again
        program = build_program(modules, self.catalog)
        class_types = collect_class_types(program, self.catalog)
        attach_routes(program, self.catalog, class_types)
        results, too_deep, pattern_results = self._solve(modules, program, class_types)
        callers: dict[str, set[str]] = defaultdict(set)
        for caller, result in results.items():
            for callee in result.callees:
                callers[callee].add(caller)
        findings: dict[Fingerprint, Finding] = {}
        for result in results.values():
            for flow in result.flows:
                finding = _finding(flow, program, callers)
                if finding is not None:
                    findings.setdefault(finding.fingerprint, finding)
        for finding in _with_entry_points(pattern_results, program, callers):
            findings.setdefault(finding.fingerprint, finding)
        ordered = sorted(findings.values(), key=lambda f: (f.location.path, f.location.line, f.rule_id))
        return AnalysisResult(tuple(ordered), (*target.skipped, *skipped, *too_deep), len(modules), program)

    def _solve(
        self, modules: list[Module], program: Program, class_types: ClassTypes
    ) -> tuple[dict[str, FunctionResult], list[Skipped], list[Finding]]:
        """The summaries solved, and the pattern rules' findings. Neither the solver's first
        pass nor the pattern rules need summaries: on a program worth it, forked children take
        parts of the first pass and then the pattern rules while this process takes its own part
        and then the rest of the fixpoint."""
        solver = Solver(program, self.catalog, class_types)
        names = list(program.functions)
        apart = self.jobs > 1 and len(names) >= APART_FROM
        parts = [names[index :: self.jobs] for index in range(self.jobs)] if apart else [names]
        works: list[Callable[[], Any]] = [functools.partial(solver.first_pass, part) for part in parts[1:]]
        works.append(functools.partial(pattern_findings, modules, self.catalog))
        with in_children(works, children=self.jobs - 1, enabled=apart) as outcomes:
            first = solver.first_pass(parts[0])
            for theirs in outcomes[:-1]:
                first.extend(theirs())
            # In the program's order, as one process would have made it: the same findings and
            # traces whatever the number of cores.
            order = {name: position for position, name in enumerate(names)}
            first.sort(key=lambda outcome: order[outcome[0]])
            results, too_deep = solver.solve(first)
            return results, too_deep, outcomes[-1]()


@contextmanager
def _rare_collections() -> Iterator[None]:
    """Collect cycles rarely while the analysis runs (mypy does the same).

    Parsing allocates millions of syntax nodes that live until the end and hold no cycles; at
    the default thresholds the collector rescans them all again and again, a fifth of the
    scan's CPU on a large tree. Memory is still freed by reference counting as usual."""
    thresholds = gc.get_threshold()
    frozen_before = gc.get_freeze_count()  # a caller's own frozen objects stay frozen
    gc.set_threshold(max(thresholds[0], 100_000), *thresholds[1:])
    try:
        yield
    finally:
        if not frozen_before:
            gc.unfreeze()
        gc.set_threshold(*thresholds)


def _load_modules(target: Target) -> tuple[list[Module], list[Skipped]]:
    modules: list[Module] = []
    skipped: list[Skipped] = []
    for path in target.files(suffixes=(".py",)):
        text = target.read_text(path)
        if text is None:
            continue
        relative = target.relative(path)
        parsed = parse_module(text, relative)
        if isinstance(parsed, ParseFailure):
            skipped.append(Skipped(relative, parsed.reason, parsed.line))
            continue
        name, is_package = module_name(relative)
        modules.append(Module(name, relative, parsed.tree, parsed.lines, is_package=is_package))
    return modules, skipped


def _entry_point(flow: Flow, program: Program, callers: dict[str, set[str]]) -> EntryPoint | None:
    """The route whose request the source reads (its own function, or the nearest caller), or
    the program itself when the input is its command line, environment or standard input."""
    source = flow.source
    if source.model.input in _PROGRAM_INPUTS:
        function = program.functions.get(source.function)
        if function is not None:
            return EntryPoint(
                framework="cli",
                function=function.qualname,
                location=location(function.module, function.node, whole_line=True),
                route="",
                methods=(),
                input_kind=source.model.input,
                parameter=source.parameter,
            )
    routed = _routed_caller(source.function, program, callers)
    return _route_entry(routed, source.model.input, source.parameter) if routed else None


def _routed_caller(qualname: str, program: Program, callers: dict[str, set[str]]) -> Function | None:
    """The function itself if it handles a route, else the nearest caller that does."""
    seen = {qualname}
    frontier: Iterable[str] = [qualname]
    while frontier:
        for name in sorted(frontier):
            function = program.functions.get(name)
            if function is not None and function.routes:
                return function
        frontier = sorted({c for q in frontier for c in callers.get(q, ()) if c not in seen})
        seen.update(frontier)
    return None


def _route_entry(function: Function, input_kind: InputKind | None, parameter: str | None) -> EntryPoint:
    route = function.routes[0]
    return EntryPoint(
        framework=route.framework,
        function=function.qualname,
        location=location(function.module, function.node, whole_line=True),
        route=route.rule,
        methods=route.methods,
        input_kind=input_kind,
        parameter=parameter,
    )


def _with_entry_points(
    findings: list[Finding], program: Program, callers: dict[str, set[str]]
) -> list[Finding]:
    """Pattern findings (a weak hash, a cookie without flags) get the route that runs their code,
    so that the prover can drive it."""
    spans: dict[str, list[tuple[int, int, str]]] = defaultdict(list)
    for qualname, function in program.functions.items():
        node = function.node
        spans[function.module.path].append((node.lineno, node.end_lineno or node.lineno, qualname))
    located = []
    for finding in findings:
        line = finding.location.line
        enclosing = [
            (end - start, qualname)
            for start, end, qualname in spans.get(finding.location.path, ())
            if start <= line <= end and not qualname.endswith(MODULE_BODY)
        ]
        routed = _routed_caller(min(enclosing)[1], program, callers) if enclosing else None
        located.append(replace(finding, entry_point=_route_entry(routed, None, None)) if routed else finding)
    return located


def _finding(flow: Flow, program: Program, callers: dict[str, set[str]]) -> Finding | None:
    rule = RULES_BY_CWE.get(flow.sink.cwe)
    if rule is None:
        return None
    source = flow.source
    what = (
        f"{source.model.input.value} parameter '{source.parameter}'"
        if source.parameter
        else (f"{source.model.input.value} input")
    )
    # Command-line arguments, the environment and stdin are usually the operator's own input:
    # such flows are reported, but a level lower and with low confidence.
    local = source.model.input in _PROGRAM_INPUTS
    return Finding(
        kind=FindingKind.CODE,
        rule_id=rule.id,
        title=rule.title,
        severity=_LOWER[rule.severity] if local else rule.severity,
        confidence=Confidence.LOW if local else rule.confidence,
        location=flow.sink.location,
        # The enclosing function tells apart identical code in two functions of one file.
        fingerprint=fingerprint(
            rule.id, flow.sink.location.path, flow.sink.code, source.code, flow.sink.function
        ),
        cwe=rule.cwe,
        message=(
            f"The {what} read at {source.location.path}:{source.location.line} "
            f"reaches `{flow.sink.code}` without being sanitised for CWE-{rule.cwe}."
        ),
        trace=flow.steps,
        entry_point=_entry_point(flow, program, callers),
    )
