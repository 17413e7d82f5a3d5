"""The advisory seam: where advisory records come from, and the errors of reading them."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

from firstpatch.errors import ExitCode, FirstpatchError
from firstpatch.model import Advisory, Ecosystem

if TYPE_CHECKING:
    from firstpatch.advisories.facts import AdvisoryFacts
    from firstpatch.advisories.package_index import PackageIndex
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

    def package_index(self, ecosystem: Ecosystem, name: str) -> PackageIndex:
        """The package's records compiled for matching; by default from `for_package`."""
        from firstpatch.advisories.package_index import index_advisories

        return index_advisories(ecosystem, name, self.for_package(ecosystem, name), self.text_severity)

    def facts(self, ids: Collection[str]) -> Mapping[str, AdvisoryFacts]:
        """Findings' facts of the records whose index entries carry none (only the store's)."""
        return {}

    def text_severity(self, advisory_id: str) -> str | None:
        """The record's own severity word (OSV `database_specific.severity`), when the source
        keeps the raw record; `model.Advisory` does not carry that field."""
        return None

    def affected_symbols(self, advisory_id: str) -> tuple[AffectedSymbols, ...]:
        """The modules and functions a record lists as vulnerable (`ecosystem_specific`), when
        the source keeps them; `model.Advisory` does not carry that field."""
        return ()
