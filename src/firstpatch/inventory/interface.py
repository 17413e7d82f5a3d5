"""The inventory seam: one `ManifestParser` per manifest, lockfile or SBOM format."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeAlias

from firstpatch.errors import ExitCode, FirstpatchError
from firstpatch.model import Component, Skipped

Reader: TypeAlias = Callable[[str], str | None]
"""The text of another file of the target, by its root-relative path; None when the target does
not admit it (missing, outside the root, oversized, not text). Formats with includes use it."""


class InventoryError(FirstpatchError):
    """A manifest that cannot be read as its format says."""

    exit_code = ExitCode.USAGE


@dataclass(frozen=True, slots=True)
class Parsed:
    """What one manifest yielded: its components, and every problem found in it."""

    components: tuple[Component, ...]
    problems: tuple[Skipped, ...] = ()


class ManifestParser(ABC):
    """Reads one manifest format as text; never imports or runs anything it reads."""

    name: str

    @abstractmethod
    def handles(self, filename: str) -> bool:
        """Whether a file of this name is in this parser's format."""

    def recognises(self, head: str) -> bool:
        """Whether a file whose name `handles` did not claim is in this format, judged by the
        first few kilobytes of its text (SBOMs come under any name)."""
        return False

    @abstractmethod
    def parse(self, text: str, path: str, read: Reader | None = None) -> Parsed:
        """Components declared in `text`; `path` is relative to the target root.

        Bad lines become `Parsed.problems` (with their line) and parsing goes on. `read` gives
        the text of files this one includes; without it, includes are reported, not followed.
        """
