"""The advisory seam: where advisory records come from, and the errors of reading them."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from firstpatch.errors import ExitCode, FirstpatchError
from firstpatch.model import Advisory, Ecosystem

if TYPE_CHECKING:
    from firstpatch.advisories.symbols import AffectedSymbols


class AdvisoryError(FirstpatchError):
    """An advisory record or feed that cannot be read."""

    exit_code = ExitCode.USAGE


class AdvisorySource(ABC):
    """A queryable set of advisories (a shipped snapshot, the store, an OSV export)."""

    @abstractmethod
    def for_package(self, ecosystem: Ecosystem, name: str) -> Sequence[Advisory]:
        """Every advisory that names `name` (normalised per ecosystem) among its affected packages."""

    def prefetch(self, keys: Iterable[tuple[Ecosystem, str]]) -> None:  # noqa: B027 - optional
        """Get ready to answer for many packages at once (a database source reads them in bulk)."""

    def affected_symbols(self, advisory_id: str) -> tuple[AffectedSymbols, ...]:
        """The modules and functions a record lists as vulnerable (`ecosystem_specific`), when
        the source keeps them; `model.Advisory` does not carry that field."""
        return ()
