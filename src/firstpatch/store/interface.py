"""The store seam: where runs and their findings are kept."""

from __future__ import annotations

import enum
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from firstpatch.errors import ExitCode, FirstpatchError
from firstpatch.model import Finding, Fingerprint, Run, RunId


class StoreError(FirstpatchError):
    """A database that cannot be opened, migrated or written."""

    exit_code = ExitCode.USAGE


class FindingStatus(enum.StrEnum):
    """Where a finding is in its life across the runs of one target."""

    OPEN = "open"  # seen by the newest run that looked for its kind
    FIXED = "fixed"  # a later run looked for its kind and did not see it


@dataclass(frozen=True, slots=True)
class TrackedFinding:
    """One finding across runs: when it appeared, when it was last seen, and as last seen."""

    fingerprint: Fingerprint
    status: FindingStatus
    first_seen: RunId
    first_seen_at: datetime
    last_seen: RunId
    last_seen_at: datetime
    finding: Finding


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

    @abstractmethod
    def tracked_findings(self, target: str) -> Sequence[TrackedFinding]:
        """Every finding ever seen in `target`, oldest first; empty for a target never scanned."""

    def close(self) -> None:  # noqa: B027 - a store without resources has nothing to release
        """Release connections; the store is not used afterwards."""
