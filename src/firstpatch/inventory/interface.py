"""The inventory seam: one `ManifestParser` per manifest, lockfile or SBOM format."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

from firstpatch.errors import ExitCode, FirstpatchError
from firstpatch.model import Component, Skipped


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

    @abstractmethod
    def parse(self, text: str, path: str) -> Parsed:
        """Components declared in `text`; `path` is relative to the target root.

        Bad lines become `Parsed.problems` (with their line) and parsing goes on.
        """
