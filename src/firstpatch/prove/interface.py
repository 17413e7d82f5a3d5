"""The prove seam: drivers that run a target in the sandbox and oracles that watch its sinks."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from pathlib import Path

from firstpatch.errors import FirstpatchError
from firstpatch.model import Evidence, Finding, Fingerprint


class ProveError(FirstpatchError):
    """The prover itself failed (not the target: a target that crashes is evidence)."""


class Driver(ABC):
    """Starts one kind of entry point in the sandbox and delivers inputs to it."""

    framework: str

    @abstractmethod
    def prove(self, root: Path, findings: Sequence[Finding]) -> Mapping[Fingerprint, Evidence]:
        """Evidence for each finding whose entry point is of this driver's framework.

        `root` is the target's tree; the driver works on a temporary copy of it and leaves
        `root` untouched.
        """
