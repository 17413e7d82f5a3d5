"""The smallest upgrade that closes a component's advisories, on real and on small records."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from firstpatch.advisories import DirectorySource, Remedy, from_data, match, smallest_fix
from firstpatch.model import Advisory, Ecosystem

PYPI = Ecosystem.PYPI
Record = Callable[[str], Advisory]


def remedy_for(source: DirectorySource, name: str, version: str) -> Remedy:
    known = source.for_package(PYPI, name)
    matched = [m.advisory for m in match(PYPI, name, version, known).matches]
    assert matched, f"{name} {version} should be vulnerable"
    return smallest_fix(PYPI, name, version, matched, known)


@pytest.mark.parametrize(
    ("name", "version", "fix", "major"),
    [
        ("flask", "0.12.2", "2.2.5", True),  # 1.x is still affected by PYSEC-2023-62
        ("flask", "2.3.1", "2.3.2", False),  # the second interval of PYSEC-2023-62
        ("jinja2", "2.10", "2.11.3", False),
        ("pyyaml", "5.3", "5.4", False),
        ("requests", "2.19.1", "2.31.0", False),
        ("werkzeug", "2.2.2", "2.3.8", False),  # 2.2.3 fixes two of three; PYSEC-2023-221 needs 2.3.8
        ("werkzeug", "3.0.0", "3.0.1", False),
        ("urllib3", "1.24.1", "1.26.18", False),
    ],
)
def test_smallest_fix_on_real_records(
    pypi_source: DirectorySource, name: str, version: str, fix: str, major: bool
) -> None:
    remedy = remedy_for(pypi_source, name, version)
    assert (remedy.version, remedy.major, remedy.still_affected_by) == (fix, major, ())
    assert remedy.reason.startswith(f"{fix} fixes ")


def test_last_affected_only_has_no_fix(record: Record) -> None:
    advisory = record("py/PYSEC-2022-42969")  # introduced 0, last_affected 1.11.0; no later version named
    remedy = smallest_fix(PYPI, "py", "1.10.0", [advisory], [advisory])
    assert remedy == Remedy(
        None, False, "no fix available: no known version above 1.10.0 fixes PYSEC-2022-42969"
    )


def test_versions_only_record_fix_comes_from_other_records(record: Record) -> None:
    advisory = record("gratient/PYSEC-2024-1")  # names only the malicious 0.5
    assert smallest_fix(PYPI, "gratient", "0.5", [advisory]).version is None


def _record(
    advisory_id: str, events: list[dict[str, str]], versions: tuple[str, ...] = (), **extra: Any
) -> Advisory:
    return from_data(
        {
            "id": advisory_id,
            "modified": "2024-01-01T00:00:00Z",
            "affected": [
                {
                    "package": {"ecosystem": "PyPI", "name": "pkg"},
                    "ranges": [{"type": "ECOSYSTEM", "events": events}],
                    "versions": list(versions),
                }
            ],
            **extra,
        },
        advisory_id,
    )


def test_prereleases_only_for_a_prerelease() -> None:
    advisory = _record("A-1", [{"introduced": "0"}, {"fixed": "2.0rc1"}], ("1.0", "2.0b1"))
    # The only fix is a release candidate: not offered to a release...
    assert smallest_fix(PYPI, "pkg", "1.0", [advisory]).version is None
    # ...but offered to a pre-release.
    assert smallest_fix(PYPI, "pkg", "2.0b1", [advisory]).version == "2.0rc1"
    final = _record("A-2", [{"introduced": "0"}, {"fixed": "2.0rc1"}, {"fixed": "2.0"}])
    assert smallest_fix(PYPI, "pkg", "1.0", [final]).version == "2.0"


def test_a_fix_hit_by_another_advisory_is_avoided_when_possible() -> None:
    first = _record("A-1", [{"introduced": "0"}, {"fixed": "1.1"}])
    second = _record("B-1", [{"introduced": "1.1"}, {"fixed": "1.2"}])
    remedy = smallest_fix(PYPI, "pkg", "1.0", [first], [first, second])
    assert remedy == Remedy("1.2", False, "1.2 fixes A-1 (1.1 does too but is affected by B-1)")


def test_when_every_fix_is_hit_the_hit_is_named() -> None:
    first = _record("A-1", [{"introduced": "0"}, {"fixed": "1.1"}])
    unfixed = _record("B-1", [{"introduced": "1.1"}])
    remedy = smallest_fix(PYPI, "pkg", "1.0", [first], [first, unfixed])
    assert remedy.version == "1.1"
    assert remedy.still_affected_by == ("B-1",)
    assert remedy.reason == "1.1 fixes A-1 but is affected by B-1; no known version fixes all"


def test_withdrawn_advisories_do_not_block_a_fix() -> None:
    first = _record("A-1", [{"introduced": "0"}, {"fixed": "1.1"}])
    withdrawn = _record("B-1", [{"introduced": "0"}], withdrawn="2024-02-01T00:00:00Z")
    assert smallest_fix(PYPI, "pkg", "1.0", [first], [first, withdrawn]) == Remedy(
        "1.1", False, "1.1 fixes A-1"
    )


@pytest.mark.parametrize(
    ("current", "fix", "major"),
    [("1.4", "2.0", True), ("1.9", "1.10", False), ("0.9", "1.0", True), ("1!0.1", "1!0.2", False)],
)
def test_major_upgrades_are_said(current: str, fix: str, major: bool) -> None:
    advisory = _record("A-1", [{"introduced": "0"}, {"fixed": fix}])
    assert (smallest_fix(PYPI, "pkg", current, [advisory]).major) is major


def test_undecidable_candidate_is_not_a_fix() -> None:
    advisory = _record("A-1", [{"introduced": "0"}, {"fixed": "1.1"}])
    odd = from_data(
        {
            "id": "C-1",
            "modified": "2024-01-01T00:00:00Z",
            "affected": [
                {
                    "package": {"ecosystem": "PyPI", "name": "pkg"},
                    "ranges": [
                        {"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "2019-09-12"}]}
                    ],
                    "versions": ["1.0"],
                }
            ],
        },
        "C-1",
    )
    # 1.1 fixes A-1, but whether it fixes C-1 cannot be decided: no fix is claimed.
    assert smallest_fix(PYPI, "pkg", "1.0", [advisory, odd]).version is None


def test_current_version_not_pep440() -> None:
    remedy = smallest_fix(PYPI, "pkg", "1.0-bulbasaur", [])
    assert remedy == Remedy(None, False, "'1.0-bulbasaur' is not a PEP 440 version; no upgrade computed")
