"""The analysis seam: rules registered with an id, a CWE, a severity and a confidence."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import TYPE_CHECKING

from firstpatch.errors import FirstpatchError
from firstpatch.model import Confidence, Finding, RuleId, Severity, Skipped
from firstpatch.target import Target

if TYPE_CHECKING:
    from firstpatch.analysis.program import Program


class AnalysisError(FirstpatchError):
    """The analyser itself failed; a file that does not parse is a `Skipped`, not this."""


@dataclass(frozen=True, slots=True)
class Rule:
    id: RuleId
    cwe: int
    title: str
    severity: Severity
    confidence: Confidence
    description: str  # the rule's documentation page, shown by `firstpatch rules`


@dataclass(frozen=True, slots=True)
class AnalysisResult:
    findings: tuple[Finding, ...]
    skipped: tuple[Skipped, ...] = ()
    files: int = 0
    program: Program | None = None  # the program model, for later stages that read the code too


class Analyzer(ABC):
    @abstractmethod
    def rules(self) -> tuple[Rule, ...]:
        """Every rule this analyser can report."""

    @abstractmethod
    def analyze(self, target: Target) -> AnalysisResult:
        """Findings in the target's Python code, read as text only: nothing is imported or run."""
