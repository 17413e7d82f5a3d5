"""The patch seam: one `Fixer` per CWE family, each a libcst codemod.

A fixer reads files as text and returns new text; it never imports or runs the target.
Most fixes touch only the file holding the sink, but some belong where a value is built
(a command assembled in one function and run by a helper in another), so the general entry
point is `fix`, which may read any file of the target through `read` and change several.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass

from firstpatch.errors import FirstpatchError
from firstpatch.model import Finding


class PatchError(FirstpatchError):
    """A fixer failed unexpectedly; 'no fix applies here' is `None`, not this."""


# Text of a file of the target by its relative path, or None when it cannot be read.
Reader = Callable[[str], str | None]


@dataclass(frozen=True, slots=True)
class FileChange:
    path: str  # relative to the target root, "/" separators
    before: str
    after: str


@dataclass(frozen=True, slots=True)
class Fix:
    """What a fixer proposes: the files it changes and a one-line description."""

    changes: tuple[FileChange, ...]
    description: str


@dataclass(frozen=True, slots=True)
class ProposedPatch:
    """A fix not yet verified, with its unified diff."""

    changes: tuple[FileChange, ...]
    diff: str
    description: str

    @property
    def files(self) -> tuple[str, ...]:
        return tuple(change.path for change in self.changes)


class Fixer(ABC):
    cwes: frozenset[int]

    @abstractmethod
    def fix(self, finding: Finding, read: Reader) -> Fix | None:
        """The fix for `finding`, or None when this fixer has no fix that fits the code."""

    def rewrite(self, source: str, finding: Finding) -> str | None:
        """`source` (the file holding the finding's sink) with the fix applied, or None
        when this fixer has no fix that fits the code at the sink, or the fix lies elsewhere."""
        path = finding.location.path
        fix = self.fix(finding, lambda wanted: source if wanted == path else None)
        if fix is None:
            return None
        changed = {change.path: change.after for change in fix.changes}
        if set(changed) != {path}:
            return None
        return changed[path]
