"""Advisories held in memory, indexed by the packages they affect."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from firstpatch.advisories.interface import AdvisorySource
from firstpatch.advisories.names import ecosystem_base, normalise
from firstpatch.model import Advisory, Ecosystem


class MemorySource(AdvisorySource):
    """A fixed set of advisories; the base of the file-backed sources and handy in tests."""

    def __init__(
        self, advisories: Iterable[Advisory] = (), text_severities: Mapping[str, str] | None = None
    ) -> None:
        self._all: list[Advisory] = []
        self._index: dict[tuple[str, str], list[Advisory]] = {}
        self._words = dict(text_severities or {})  # id -> `database_specific.severity`
        self.add(advisories)

    def add(self, advisories: Iterable[Advisory]) -> None:
        for advisory in advisories:
            self._all.append(advisory)
            keys = {(ecosystem_base(a.ecosystem), normalise(a.ecosystem, a.name)) for a in advisory.affected}
            for key in sorted(keys):
                self._index.setdefault(key, []).append(advisory)

    def for_package(self, ecosystem: Ecosystem, name: str) -> tuple[Advisory, ...]:
        return tuple(self._index.get((ecosystem.value, normalise(ecosystem, name)), ()))

    def text_severity(self, advisory_id: str) -> str | None:
        return self._words.get(advisory_id)

    def advisories(self) -> tuple[Advisory, ...]:
        """Every advisory held, withdrawn ones included, in the order added."""
        return tuple(self._all)
