"""Running the pattern rules over modules, and their hits as `Finding`s."""

from __future__ import annotations

import ast
import dataclasses
from collections import Counter
from collections.abc import Iterable, Iterator

from firstpatch.analysis.interface import Rule
from firstpatch.analysis.locations import location, source_text
from firstpatch.analysis.models import Catalog, load_catalog
from firstpatch.analysis.patterns.context import ModuleContext
from firstpatch.analysis.patterns.registry import REGISTRY, Hit, PatternHit
from firstpatch.analysis.program import Module
from firstpatch.model import (
    Finding,
    FindingKind,
    Step,
    StepKind,
    fingerprint,
    normalise_code,
)


def check_module(module: Module, catalog: Catalog | None = None) -> Iterator[PatternHit]:
    """Every pattern rule's hits in one parsed module, in source order.

    Reads the syntax tree only. Test code (test folders, test files, conftest.py) is not checked:
    it is not what attackers reach, and it disables TLS and hard-codes passwords on purpose. A rule
    that cannot finish a pathological module (nesting deeper than the interpreter's recursion
    limit) reports nothing for it; the other rules go on."""
    context = ModuleContext(module, catalog or load_catalog())
    hits: list[PatternHit] = []
    if context.is_test_code:
        return
    for entry in REGISTRY:
        if not entry.applies_to(context.text):
            continue
        try:
            found = list(entry.check(context))
        except RecursionError:
            continue
        hits.extend(_located(context, entry.rule, hit) for hit in found)
    hits.sort(key=lambda h: (h.location.line, h.location.column, h.rule.id))
    yield from hits


def pattern_findings(modules: Iterable[Module], catalog: Catalog | None = None) -> list[Finding]:
    """The hits of every module as findings, fingerprinted by rule, path, the code of the
    flagged node and the definition it is in (so that lines moving do not make it new)."""
    findings: list[Finding] = []
    for module in modules:
        seen: Counter[tuple[str, str, str]] = Counter()
        for hit in check_module(module, catalog):
            code = normalise_code(hit.location.snippet)
            occurrence = seen[(hit.rule.id, code, hit.scope)]
            seen[(hit.rule.id, code, hit.scope)] += 1
            parts = (code, hit.scope) if occurrence == 0 else (code, hit.scope, f"#{occurrence}")
            findings.append(
                Finding(
                    kind=FindingKind.CODE,
                    rule_id=hit.rule.id,
                    title=hit.rule.title,
                    severity=hit.rule.severity,
                    confidence=hit.rule.confidence,
                    location=hit.location,
                    fingerprint=fingerprint(hit.rule.id, hit.location.path, *parts),
                    cwe=hit.rule.cwe,
                    message=hit.message,
                    trace=hit.trace,
                )
            )
    return findings


def _located(context: ModuleContext, rule: Rule, hit: Hit) -> PatternHit:
    module = context.module
    here = location(module, hit.node)
    if hit.redact is not None:
        here = dataclasses.replace(here, snippet=_masked_line(context, hit.redact))
    trace: list[Step] = []
    for index, (node, description) in enumerate(hit.steps):
        last = index == len(hit.steps) - 1
        kind = StepKind.SOURCE if index == 0 else StepKind.SINK if last else StepKind.PROPAGATION
        trace.append(Step(kind, here if node is hit.node else location(module, node), description))
    scope = context.scope_of(hit.node)
    return PatternHit(rule, here, hit.message, context.qualname(scope), tuple(trace))


def _masked_line(context: ModuleContext, literal: ast.Constant) -> str:
    """The literal's first line with the secret cut to its first two characters."""
    text = source_text(context.module, literal)
    value = str(literal.value)
    quote_at = min((i for i in (text.find("'"), text.find('"')) if i >= 0), default=-1)
    if quote_at < 0:
        return "<redacted>"
    quote = text[quote_at] * (3 if text[quote_at : quote_at + 3] == text[quote_at] * 3 else 1)
    masked = f"{text[:quote_at]}{quote}{value[:2]}…(redacted){quote}"
    line = context.module.lines[literal.lineno - 1] if 0 < literal.lineno <= len(context.module.lines) else ""
    first_line = text.split("\n", 1)[0]
    if literal.lineno == literal.end_lineno and first_line in line:
        return line.strip().replace(first_line, masked, 1)
    return masked
