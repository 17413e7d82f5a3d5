"""Real OSV records from the offline data (pypa/advisory-database @ 3ccb612), as fixtures."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from firstpatch.advisories import DirectorySource, loads
from firstpatch.model import Advisory

PYPI_VULNS = Path("/work/shared/data/osv/pypi/vulns")


@pytest.fixture(scope="session")
def vulns_dir() -> Path:
    if not PYPI_VULNS.is_dir():
        pytest.skip(f"offline data not at {PYPI_VULNS}")
    return PYPI_VULNS


@pytest.fixture(scope="session")
def record(vulns_dir: Path) -> Callable[[str], Advisory]:
    """Loads one real record by `<package>/<ID>`, e.g. `flask/PYSEC-2023-62`."""

    def load(relative: str) -> Advisory:
        path = vulns_dir / f"{relative}.yaml"
        return loads(path.read_text(), str(path))

    return load


@pytest.fixture(scope="session")
def pypi_source(vulns_dir: Path) -> DirectorySource:
    """The whole PyPI export, loaded once per test session (about 1.3 s)."""
    return DirectorySource(vulns_dir)
