"""The patch seam: one `Fixer` per CWE family, each a libcst codemod."""

from __future__ import annotations

from abc import ABC, abstractmethod

from firstpatch.errors import FirstpatchError
from firstpatch.model import Finding


class PatchError(FirstpatchError):
    """A fixer failed unexpectedly; 'no fix applies here' is `None`, not this."""


class Fixer(ABC):
    cwes: frozenset[int]

    @abstractmethod
    def rewrite(self, source: str, finding: Finding) -> str | None:
        """`source` (the file holding the finding's sink) with the fix applied, or None
        when this fixer has no fix that fits the code at the sink."""
