"""The store seam: where runs and their findings are kept."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence

from firstpatch.errors import ExitCode, FirstpatchError
from firstpatch.model import Run, RunId


class StoreError(FirstpatchError):
    """A database that cannot be opened, migrated or written."""

    exit_code = ExitCode.USAGE


class Store(ABC):
    @abstractmethod
    def save_run(self, run: Run) -> None:
        """Keep the run and its findings; findings are tracked across runs by fingerprint."""

    @abstractmethod
    def runs(self, target: str | None = None) -> Sequence[Run]:
        """Runs, newest first, optionally only those of one target."""

    @abstractmethod
    def load_run(self, run_id: RunId) -> Run:
        """One run, whole; `StoreError` when there is none with that id."""
