"""Pattern rules as registered units: a checker function, its `Rule`, and its docstring as its page.

A checker reads one module through a `ModuleContext` and yields `Hit`s (a node and a message);
`check_module` turns those into `PatternHit`s with locations. Each rule names the words that
must appear in a module's text for it to apply, so that most modules cost one substring search.
"""

from __future__ import annotations

import ast
import inspect
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from firstpatch.analysis.interface import Rule
from firstpatch.analysis.patterns.context import ModuleContext
from firstpatch.model import Confidence, Location, RuleId, Severity, Step


@dataclass(frozen=True, slots=True)
class Hit:
    """What a checker reports: the node to flag, why, and for flows the steps that led there."""

    node: ast.AST
    message: str
    steps: tuple[tuple[ast.AST, str], ...] = ()  # (node, description), source first
    redact: ast.Constant | None = None  # a secret literal to mask in the reported snippet


@dataclass(frozen=True, slots=True)
class PatternHit:
    rule: Rule
    location: Location
    message: str
    scope: str = ""  # the enclosing definition's qualified name, for stable fingerprints
    trace: tuple[Step, ...] = ()


Checker = Callable[[ModuleContext], Iterator[Hit]]


@dataclass(frozen=True, slots=True)
class PatternRule:
    rule: Rule
    check: Checker
    triggers: tuple[str, ...] | re.Pattern[str]  # the rule applies only to text that has one

    def applies_to(self, text: str) -> bool:
        if isinstance(self.triggers, re.Pattern):
            return self.triggers.search(text) is not None
        return not self.triggers or any(trigger in text for trigger in self.triggers)


REGISTRY: list[PatternRule] = []


def _page(docstring: str | None) -> str:
    """The docstring as documentation: paragraphs kept, lines inside each joined."""
    paragraphs = inspect.cleandoc(docstring or "").split("\n\n")
    return "\n\n".join(" ".join(p.split()) for p in paragraphs if p.strip())


def pattern_rule(
    rule_id: str,
    *,
    cwe: int,
    title: str,
    severity: Severity,
    confidence: Confidence,
    triggers: tuple[str, ...] | re.Pattern[str] = (),
) -> Callable[[Checker], Checker]:
    """Register a checker as a rule; its docstring becomes the rule's description."""

    def register(check: Checker) -> Checker:
        if not check.__doc__:
            raise TypeError(f"pattern rule {rule_id} has no docstring to document it")
        if any(entry.rule.id == rule_id for entry in REGISTRY):
            raise ValueError(f"pattern rule {rule_id} is registered twice")
        rule = Rule(RuleId(rule_id), cwe, title, severity, confidence, _page(check.__doc__))
        REGISTRY.append(PatternRule(rule, check, triggers))
        return check

    return register
