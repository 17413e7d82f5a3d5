"""The advisory seam: where advisory records come from, and the errors of reading them."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence

from firstpatch.errors import ExitCode, FirstpatchError
from firstpatch.model import Advisory, Ecosystem


class AdvisoryError(FirstpatchError):
    """An advisory record or feed that cannot be read."""

    exit_code = ExitCode.USAGE


class AdvisorySource(ABC):
    """A queryable set of advisories (a shipped snapshot, the store, an OSV export)."""

    @abstractmethod
    def for_package(self, ecosystem: Ecosystem, name: str) -> Sequence[Advisory]:
        """Every advisory that names `name` (normalised per ecosystem) among its affected packages."""
