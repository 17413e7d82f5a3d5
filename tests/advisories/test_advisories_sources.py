"""Where advisories come from: the shipped snapshot, a folder of OSV records, memory."""

from __future__ import annotations

from collections.abc import Callable
from importlib import resources
from pathlib import Path

import pytest

import firstpatch.advisories
from firstpatch.advisories import DirectorySource, MemorySource, SnapshotSource
from firstpatch.model import Advisory, Ecosystem

PYPI = Ecosystem.PYPI
SNAPSHOT_PACKAGES = ("flask", "jinja2", "pyyaml", "requests", "urllib3", "werkzeug")
Record = Callable[[str], Advisory]


def test_public_api() -> None:
    assert sorted(firstpatch.advisories.__all__) == sorted(
        [
            "AdvisoryError", "AdvisoryFacts", "AdvisorySource", "Affects", "Audit", "DirectorySource",
            "Match", "MatchResult", "MemorySource", "Remedy", "SnapshotSource", "Undecided", "Unknown",
            "advisory_severity", "audit", "dependency_findings", "evaluate", "from_data", "in_range",
            "loads", "match", "parse_version", "smallest_fix", "title_of", "vector_severity",
            "vulnerabilities",
        ]
    )  # fmt: skip


def test_snapshot_holds_the_demo_packages() -> None:
    snapshot = SnapshotSource()
    assert [a.id for a in snapshot.for_package(PYPI, "Flask")] == [
        "PYSEC-2018-66",
        "PYSEC-2019-179",
        "PYSEC-2023-62",
    ]
    assert [a.id for a in snapshot.for_package(PYPI, "Jinja2")] == [
        "PYSEC-2014-8",
        "PYSEC-2014-82",
        "PYSEC-2019-217",
        "PYSEC-2019-220",
        "PYSEC-2021-66",
    ]
    assert [a.id for a in snapshot.for_package(PYPI, "PyYAML")] == [
        "PYSEC-2018-49",
        "PYSEC-2020-176",
        "PYSEC-2020-96",
        "PYSEC-2021-142",
    ]
    assert snapshot.for_package(PYPI, "markupsafe") == ()  # no advisory in the export
    assert snapshot.for_package(PYPI, "django") == ()  # not shipped
    assert sorted(snapshot.packages(PYPI)) == sorted(SNAPSHOT_PACKAGES)
    assert len(snapshot.advisories()) == 35


def test_snapshot_is_loaded_lazily() -> None:
    snapshot = SnapshotSource()
    snapshot.for_package(PYPI, "flask")
    assert list(snapshot._loaded) == [(PYPI, "flask")]


def test_snapshot_files_are_unchanged_copies(vulns_dir: Path) -> None:
    data = resources.files("firstpatch.advisories") / "data" / "pypi"
    for package in SNAPSHOT_PACKAGES:
        shipped = {f.name: f.read_bytes() for f in (data / package).iterdir()}
        upstream = {f.name: f.read_bytes() for f in (vulns_dir / package).iterdir()}
        assert shipped == upstream, package


def test_snapshot_attribution() -> None:
    text = (resources.files("firstpatch.advisories") / "data" / "ATTRIBUTION.md").read_text()
    assert "https://github.com/pypa/advisory-database" in text
    assert "`3ccb612`" in text
    assert "CC-BY-4.0" in text
    assert "Attribution 4.0 International" in text  # the licence text itself
    assert "Section 1 -- Definitions." in text


def test_snapshot_agrees_with_the_directory(pypi_source: DirectorySource) -> None:
    snapshot = SnapshotSource()
    for package in SNAPSHOT_PACKAGES:
        assert snapshot.for_package(PYPI, package) == pypi_source.for_package(PYPI, package)


def test_directory_source_indexes_by_affected_name(pypi_source: DirectorySource) -> None:
    assert len(pypi_source.advisories()) == 2661
    assert sum(a.withdrawn is not None for a in pypi_source.advisories()) == 10
    assert [a.id for a in pypi_source.for_package(PYPI, "jw.util")] == ["PYSEC-2020-341"]
    assert [a.id for a in pypi_source.for_package(PYPI, "JW_Util")] == ["PYSEC-2020-341"]
    assert pypi_source.for_package(PYPI, "no-such-package-here") == ()
    # Withdrawn records are kept by the source; matching is what ignores them.
    assert "PYSEC-2023-73" in [a.id for a in pypi_source.for_package(PYPI, "redis")]


def test_memory_source(record: Record) -> None:
    flask = record("flask/PYSEC-2023-62")
    source = MemorySource([flask])
    assert source.for_package(PYPI, "FLASK") == (flask,)
    assert source.for_package(PYPI, "jinja2") == ()
    source.add([record("jinja2/PYSEC-2021-66")])
    assert [a.id for a in source.advisories()] == ["PYSEC-2023-62", "PYSEC-2021-66"]


def test_sources_are_advisory_sources() -> None:
    for cls in (SnapshotSource, DirectorySource, MemorySource):
        assert issubclass(cls, firstpatch.advisories.AdvisorySource)


@pytest.mark.parametrize("package", SNAPSHOT_PACKAGES)
def test_every_snapshot_record_names_its_package(package: str) -> None:
    for advisory in SnapshotSource().for_package(PYPI, package):
        assert [a.name for a in advisory.affected] == [package]
