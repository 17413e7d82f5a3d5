"""Packages of a root filesystem against distribution advisories: Debian, Ubuntu and Alpine
records name source packages and releases, so `libssl3` from Debian 12 is matched as `openssl`,
by records for Debian 12 only."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from firstpatch.advisories import MemorySource, audit, from_data
from firstpatch.advisories.db.store import AdvisoryStore
from firstpatch.inventory import rootfs_components
from firstpatch.model import Advisory, Component

ROOTFS = Path(__file__).parents[1] / "inventory" / "data" / "rootfs"


def _record(advisory_id: str, ecosystem: str, name: str, fixed: str) -> dict[str, Any]:
    return {
        "id": advisory_id,
        "modified": "2025-01-01T00:00:00Z",
        "summary": f"{name} problem",
        "affected": [
            {
                "package": {"ecosystem": ecosystem, "name": name},
                "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": fixed}]}],
            }
        ],
    }


RECORDS = [
    _record("DSA-OPENSSL-12", "Debian:12", "openssl", "3.0.11-1~deb12u3"),
    _record("DSA-OPENSSL-11", "Debian:11", "openssl", "3.0.99-1"),  # another release
    _record("DSA-GCRYPT-12", "Debian:12", "libgcrypt20", "1.10.1-4"),
    _record("ALPINE-OPENSSL-320", "Alpine:v3.20", "openssl", "3.3.2-r1"),
    _record("ALPINE-OPENSSL-319", "Alpine:v3.19", "openssl", "3.9.9-r0"),  # another release
    _record("ALPINE-LIBCRYPTO3", "Alpine:v3.20", "libcrypto3", "9.9.9-r0"),  # a binary name: not OSV's
]


def _advisories() -> list[Advisory]:
    return [from_data(record, record["id"]) for record in RECORDS]


def _components(*systems: str) -> list[Component]:
    found: list[Component] = []
    for system in systems:
        components, problems = rootfs_components(ROOTFS / system)
        assert problems == ()
        found.extend(components)
    return found


def _findings(components: list[Component], source: Any) -> list[tuple[str, tuple[str, ...], str | None, str]]:
    result = audit(components, source)
    return [
        (f.component.name, f.advisory_ids, f.fix_version, f.message.split(" is affected", 1)[0])
        for f in result.findings
        if f.component
    ]


EXPECTED = [
    (
        "libcrypto3",
        ("ALPINE-OPENSSL-320",),
        "3.3.2-r1",
        "libcrypto3 3.3.2-r0 (source package openssl 3.3.2-r0)",
    ),
    (
        "libgcrypt20",
        ("DSA-GCRYPT-12",),
        "1.10.1-4",
        "libgcrypt20 1.10.1-3+b1 (source package libgcrypt20 1.10.1-3)",  # a binNMU of 1.10.1-3
    ),
    (
        "libssl3",
        ("DSA-OPENSSL-12",),
        "3.0.11-1~deb12u3",
        "libssl3 3.0.11-1~deb12u2 (source package openssl 3.0.11-1~deb12u2)",
    ),
]


@pytest.mark.skipif(not ROOTFS.is_dir(), reason="the inventory's root filesystem fixtures are not here")
def test_os_packages_match_by_source_package_and_release() -> None:
    assert _findings(_components("debian", "alpine"), MemorySource(_advisories())) == EXPECTED


@pytest.mark.skipif(not ROOTFS.is_dir(), reason="the inventory's root filesystem fixtures are not here")
def test_the_store_looks_os_packages_up_by_source_package(tmp_path: Path) -> None:
    folder = tmp_path / "records"
    folder.mkdir()
    for record in RECORDS:
        (folder / f"{record['id']}.json").write_text(json.dumps(record))
    with AdvisoryStore(f"sqlite:///{tmp_path / 'fp.db'}") as store:
        assert store.import_paths([folder]).errors == []
        assert _findings(_components("debian", "alpine"), store.source()) == EXPECTED
