"""The advisory snapshot shipped inside firstpatch, so that a scan works with no download.

`data/pypi/<package>/<ID>.yaml` holds records copied unchanged from pypa/advisory-database
(see `data/ATTRIBUTION.md`); a package's folder is read the first time it is asked for.
"""

from __future__ import annotations

from importlib import resources
from importlib.resources.abc import Traversable

from firstpatch.advisories import osv
from firstpatch.advisories.directory import RECORD_SUFFIXES
from firstpatch.advisories.facts import text_severity_of
from firstpatch.advisories.interface import AdvisorySource
from firstpatch.advisories.names import ecosystem_base, normalise
from firstpatch.model import Advisory, Ecosystem

# Snapshot folder per ecosystem; only PyPI is shipped so far.
_FOLDERS = {Ecosystem.PYPI: "pypi"}


class SnapshotSource(AdvisorySource):
    """The shipped records, loaded lazily per package with `importlib.resources`."""

    def __init__(self) -> None:
        self._root = resources.files("firstpatch.advisories") / "data"
        self._folders: dict[Ecosystem, dict[str, Traversable]] = {}
        self._loaded: dict[tuple[Ecosystem, str], tuple[Advisory, ...]] = {}
        self._words: dict[str, str] = {}  # id -> `database_specific.severity`

    def packages(self, ecosystem: Ecosystem) -> dict[str, Traversable]:
        """The packages the snapshot has records for, by normalised name."""
        if ecosystem not in self._folders:
            base = self._root / _FOLDERS[ecosystem] if ecosystem in _FOLDERS else None
            self._folders[ecosystem] = {
                normalise(ecosystem, folder.name): folder
                for folder in (base.iterdir() if base is not None and base.is_dir() else ())
                if folder.is_dir()
            }
        return self._folders[ecosystem]

    def for_package(self, ecosystem: Ecosystem, name: str) -> tuple[Advisory, ...]:
        key = (ecosystem, normalise(ecosystem, name))
        if key not in self._loaded:
            folder = self.packages(ecosystem).get(key[1])
            records = (
                self._records(folder, f"{_FOLDERS[ecosystem]}/{folder.name}") if folder is not None else ()
            )
            self._loaded[key] = tuple(
                record
                for record in records
                if any(
                    ecosystem_base(a.ecosystem) == ecosystem and normalise(a.ecosystem, a.name) == key[1]
                    for a in record.affected
                )
            )
        return self._loaded[key]

    def text_severity(self, advisory_id: str) -> str | None:
        return self._words.get(advisory_id)

    def _records(self, folder: Traversable, label: str) -> tuple[Advisory, ...]:
        files = sorted(
            (item for item in folder.iterdir() if item.name.endswith(RECORD_SUFFIXES)), key=lambda f: f.name
        )
        records = []
        for item in files:
            origin = f"firstpatch snapshot {label}/{item.name}"
            raw = osv.decode(item.read_text(encoding="utf-8"), origin)
            advisory = osv.from_data(raw, origin)
            word = text_severity_of(raw)
            if word is not None:
                self._words[advisory.id] = word
            records.append(advisory)
        return tuple(records)

    def advisories(self) -> tuple[Advisory, ...]:
        """Every shipped record, package by package."""
        return tuple(
            advisory
            for ecosystem in _FOLDERS
            for name in sorted(self.packages(ecosystem))
            for advisory in self.for_package(ecosystem, name)
        )
