"""The report seam: one `Reporter` per output format, all rendering the same run."""

from __future__ import annotations

from abc import ABC, abstractmethod

from firstpatch.errors import ExitCode, FirstpatchError
from firstpatch.model import Run


class ReportError(FirstpatchError):
    """A report that cannot be produced or written."""

    exit_code = ExitCode.USAGE


class InvalidReportError(ReportError):
    """Our own output broke its schema: a bug in firstpatch, not in the user's input."""

    exit_code = ExitCode.INTERNAL


class Reporter(ABC):
    format: str  # the value of `--format`

    @abstractmethod
    def render(self, run: Run) -> str:
        """The whole report as text; reporters compute nothing the run does not hold."""
