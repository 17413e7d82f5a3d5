"""A folder of OSV records (`*.json`, `*.yaml`, `*.yml`, at any depth), read on first use."""

from __future__ import annotations

import os
from pathlib import Path

from firstpatch.advisories import osv
from firstpatch.advisories.facts import text_severity_of
from firstpatch.advisories.interface import AdvisoryError, AdvisorySource
from firstpatch.advisories.memory import MemorySource
from firstpatch.model import Advisory, Ecosystem

RECORD_SUFFIXES = (".json", ".yaml", ".yml")
MAX_RECORD_BYTES = 16 * 1024 * 1024  # the largest real OSV records are well under 1 MiB


class DirectorySource(AdvisorySource):
    """An OSV export unpacked into a folder, e.g. pypa/advisory-database's `vulns/`.

    The whole folder is read on the first query, because any record may name any package.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        if not self.path.is_dir():
            raise AdvisoryError(f"{self.path}: not a folder of OSV records")
        self._loaded: MemorySource | None = None

    def _source(self) -> MemorySource:
        if self._loaded is None:
            advisories: list[Advisory] = []
            words: dict[str, str] = {}
            for file in record_files(self.path):
                advisory, raw = read_record(file)
                advisories.append(advisory)
                word = text_severity_of(raw)
                if word is not None:
                    words[advisory.id] = word
            self._loaded = MemorySource(advisories, words)
        return self._loaded

    def for_package(self, ecosystem: Ecosystem, name: str) -> tuple[Advisory, ...]:
        return self._source().for_package(ecosystem, name)

    def text_severity(self, advisory_id: str) -> str | None:
        return self._source().text_severity(advisory_id)

    def advisories(self) -> tuple[Advisory, ...]:
        """Every record in the folder, withdrawn ones included, in path order."""
        return self._source().advisories()


def record_files(folder: Path) -> list[Path]:
    return sorted(path for path in folder.rglob("*") if path.suffix in RECORD_SUFFIXES and path.is_file())


def read_record(path: Path) -> tuple[Advisory, object]:
    """One record file, and its decoded value (for the fields `model.Advisory` leaves out); any
    failure is an AdvisoryError that names the file."""
    try:
        if path.stat().st_size > MAX_RECORD_BYTES:
            raise AdvisoryError(f"{path}: larger than {MAX_RECORD_BYTES // (1024 * 1024)} MiB")
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise AdvisoryError(f"{path}: cannot read: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise AdvisoryError(f"{path}: not UTF-8 text: {exc.reason}") from exc
    raw = osv.decode(text, str(path))
    return osv.from_data(raw, str(path)), raw
