"""OSV range evaluation on real PyPI records, on small records that isolate one rule, and as a law."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from packaging.version import Version

from firstpatch.advisories import (
    Affects,
    DirectorySource,
    Unknown,
    evaluate,
    from_data,
    in_range,
    match,
    parse_version,
)
from firstpatch.advisories.evaluation import Entry, Orders, Probe, affected_text
from firstpatch.advisories.evaluation import verdict as entry_verdict
from firstpatch.advisories.matching import escape_floor
from firstpatch.model import Advisory, AffectedRange, Ecosystem, RangeEvent

PYPI = Ecosystem.PYPI
Record = Callable[[str], Advisory]


def ecosystem_range(advisory: Advisory) -> AffectedRange:
    (affected,) = advisory.affected
    (range_,) = [r for r in affected.ranges if r.type == "ECOSYSTEM"]
    return range_


def osv(
    events: list[dict[str, str]], versions: tuple[str, ...] = (), kind: str = "ECOSYSTEM", **extra: Any
) -> Advisory:
    """A minimal record for package `pkg` with one range."""
    data = {
        "id": "TEST-1",
        "modified": "2024-01-01T00:00:00Z",
        "affected": [
            {
                "package": {"ecosystem": "PyPI", "name": "pkg"},
                "ranges": [
                    {"type": kind, "events": events, **({"repo": "https://x"} if kind == "GIT" else {})}
                ],
                "versions": list(versions),
            }
        ],
        **extra,
    }
    return from_data(data, "test")


def affected_versions(advisory: Advisory, candidates: list[str]) -> list[str]:
    return [v for v in candidates if match(PYPI, "pkg", v, [advisory]).matches]


# --- real records ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("version", "inside"),
    [
        ("0.1", True),
        ("2.0.0rc1", True),  # a pre-release inside the range is affected: no pre-release exclusion
        ("2.2.4", True),
        ("2.2.5", False),  # fixed is exclusive
        ("2.2.6", False),
        ("2.3.0", True),  # the second interval, opened again
        ("2.3.1", True),
        ("2.3.2", False),
        ("3.0.0", False),
    ],
)
def test_flask_two_intervals(record: Record, version: str, inside: bool) -> None:
    advisory = record("flask/PYSEC-2023-62")  # ECOSYSTEM [0, 2.2.5) and [2.3.0, 2.3.2), plus a GIT range
    assert in_range(Version(version), ecosystem_range(advisory)) is inside


def test_flask_match_reasons(record: Record) -> None:
    advisory = record("flask/PYSEC-2023-62")
    listed = match(PYPI, "Flask", "0.12.2", [advisory])
    assert [(m.advisory.id, m.reason) for m in listed.matches] == [
        ("PYSEC-2023-62", "0.12.2 is listed among the affected versions")
    ]
    # Not a release, so not listed: found by the range alone.
    by_range = match(PYPI, "flask", "2.3.1.post1", [advisory])
    assert [m.reason for m in by_range.matches] == [
        "2.3.1.post1 is in the range introduced 2.3.0, fixed 2.3.2"
    ]
    assert match(PYPI, "flask", "2.3.2", [advisory]).matches == ()


@pytest.mark.parametrize(
    ("version", "inside"),
    [
        ("2015.8.9", True),
        ("2015.8.10", False),
        ("2015.8.11", True),
        ("2015.8.13", False),
        ("2016.3.4", False),
        ("2016.3.5", True),
        ("2016.3.6", False),
        ("2018.3.0rc1", True),
        ("2018.3.4", True),
        ("2019.2.0rc1", False),
        ("2019.2.0", True),
        ("2019.2.5", False),
        ("2019.2.6", True),
        ("3000", True),
        ("3000.6", False),
        ("3002.4", True),
        ("3002.5", False),
        ("3003", False),
    ],
)
def test_salt_fifteen_intervals(record: Record, version: str, inside: bool) -> None:
    range_ = ecosystem_range(record("salt/PYSEC-2021-50"))
    assert len(range_.events) == 30
    assert in_range(Version(version), range_) is inside


@pytest.mark.parametrize(
    ("version", "inside"),
    [("0.8.0a2", True), ("1.10.0", True), ("1.11.0", True), ("1.11.0.post1", False), ("1.11.1", False)],
)
def test_py_last_affected_is_inclusive(record: Record, version: str, inside: bool) -> None:
    range_ = ecosystem_range(record("py/PYSEC-2022-42969"))  # introduced 0, last_affected 1.11.0
    assert [e.kind for e in range_.events] == ["introduced", "last_affected"]
    assert in_range(Version(version), range_) is inside


def test_withdrawn_record_is_ignored(record: Record) -> None:
    advisory = record("redis/PYSEC-2023-73")
    assert advisory.withdrawn is not None
    # The record itself covers every version...
    assert isinstance(evaluate(Version("4.5.4"), advisory.affected[0]), Affects)
    # ...but a withdrawn record matches nothing and is not reported as undecided either.
    result = match(PYPI, "redis", "4.5.4", [advisory])
    assert (result.matches, result.undecided, result.reason) == ((), (), "")


@pytest.mark.parametrize(("version", "hit"), [("0.5", True), ("0.5.0", True), ("0.4", False), ("0.6", False)])
def test_gratient_versions_only(record: Record, version: str, hit: bool) -> None:
    advisory = record("gratient/PYSEC-2024-1")  # no ranges, one listed version
    assert advisory.affected[0].ranges == ()
    result = match(PYPI, "gratient", version, [advisory])
    assert [m.reason for m in result.matches] == (
        [f"{version} is listed among the affected versions"] if hit else []
    )


def test_wagtail_events_are_sorted_before_walking(record: Record) -> None:
    range_ = ecosystem_range(record("wagtail/PYSEC-2021-114"))
    # As written: introduced 2.11, fixed 2.11.7, introduced 0, fixed 2.11.6, introduced 2.12, fixed 2.12.4.
    assert [e.version for e in range_.events] == ["2.11", "2.11.7", "0", "2.11.6", "2.12", "2.12.4"]
    assert [
        v for v in ["2.10", "2.11.5", "2.11.6", "2.11.7", "2.12.3", "2.12.4"] if in_range(Version(v), range_)
    ] == [
        "2.10",
        "2.11.5",
        "2.12.3",
    ]


def test_unparsable_bound_is_undecided_not_guessed(record: Record) -> None:
    advisory = record("steam/PYSEC-2019-125")  # fixed: "2019-09-12", and no versions list
    result = match(PYPI, "steam", "1.0", [advisory])
    assert result.matches == ()
    assert [(u.advisory.id, u.reason) for u in result.undecided] == [
        ("PYSEC-2019-125", "range bound '2019-09-12' is not a PEP 440 version")
    ]
    with pytest.raises(ValueError, match="2019-09-12"):
        in_range(Version("1.0"), ecosystem_range(advisory))


@pytest.mark.parametrize("version", ["0.12-bulbasaur", "latest", "", "1.0.0-SNAPSHOT-x"])
def test_component_version_not_pep440_is_not_matched(record: Record, version: str) -> None:
    result = match(PYPI, "flask", version, [record("flask/PYSEC-2023-62")])
    assert result.matches == ()
    assert result.reason == f"version {version!r} is not a PEP 440 version; not matched"


def test_names_are_compared_pep503_normalised(pypi_source: DirectorySource) -> None:
    (advisory,) = pypi_source.for_package(PYPI, "JW_Util")  # recorded as `jw.util`
    assert advisory.id == "PYSEC-2020-341"
    assert match(PYPI, "jw-util", "0.0.1", [advisory]).matches != ()
    assert match(PYPI, "jw-utils", "0.0.1", [advisory]).matches == ()


# --- one rule at a time ------------------------------------------------------------------------


def test_introduced_zero_is_before_every_version() -> None:
    # Version 0.dev0 sorts before version 0, but not before OSV's special "0".
    assert affected_versions(osv([{"introduced": "0"}]), ["0.dev0", "0", "1"]) == ["0.dev0", "0", "1"]
    assert affected_versions(osv([{"introduced": "0.0"}]), ["0.dev0", "0", "1"]) == ["0", "1"]


def test_limit_caps_the_range() -> None:
    advisory = osv([{"introduced": "1.0"}, {"limit": "2.0"}])
    assert affected_versions(advisory, ["0.9", "1.0", "1.5", "2.0", "3.0"]) == ["1.0", "1.5"]
    star = osv([{"introduced": "1.0"}, {"limit": "*"}])
    assert affected_versions(star, ["0.9", "1.0", "99"]) == ["1.0", "99"]


def test_unfixed_range_reason() -> None:
    result = match(PYPI, "pkg", "5.0", [osv([{"introduced": "2.0"}])])
    assert [m.reason for m in result.matches] == ["5.0 is in the range introduced 2.0, not fixed"]


def test_ties_keep_the_records_order() -> None:
    # fixed then introduced at 2.0: contiguous ranges, 2.0 affected; the other way round: an empty range.
    contiguous = osv([{"introduced": "0"}, {"fixed": "2.0"}, {"introduced": "2.0"}, {"fixed": "3.0"}])
    empty = osv([{"introduced": "2.0"}, {"fixed": "2.0"}])
    assert affected_versions(contiguous, ["1.0", "2.0", "2.5", "3.0"]) == ["1.0", "2.0", "2.5"]
    assert affected_versions(empty, ["1.0", "2.0", "3.0"]) == []


def test_git_ranges_are_not_evaluated_and_semver_ranges_are_ordered_as_semver() -> None:
    git_only = osv([{"introduced": "0"}, {"fixed": "a" * 40}], kind="GIT")
    semver = osv([{"introduced": "1.0.0"}, {"fixed": "1.2.0"}], kind="SEMVER")
    assert [u.reason for u in match(PYPI, "pkg", "1.0", [git_only]).undecided] == [
        "only GIT ranges, which need the repository's commit graph"
    ]
    assert [m.reason for m in match(PYPI, "pkg", "1.1.0", [semver]).matches] == [
        "1.1.0 is in the range introduced 1.0.0, fixed 1.2.0"
    ]
    # A PEP 440 version that SemVer cannot read is undecided for that range, not guessed.
    assert [u.reason for u in match(PYPI, "pkg", "1!1.1", [semver]).undecided] == [
        "version '1!1.1' is not a SemVer 2.0 version"
    ]
    # With a versions list, the GIT range is left to it.
    git_listed = osv([{"introduced": "0"}, {"fixed": "a" * 40}], versions=("1.0",), kind="GIT")
    assert isinstance(evaluate(Version("1.0"), git_listed.affected[0]), Affects)
    assert evaluate(Version("1.1"), git_listed.affected[0]) is None


def test_other_packages_and_ecosystems_are_not_matched() -> None:
    advisory = from_data(
        {
            "id": "TEST-2",
            "modified": "2024-01-01T00:00:00Z",
            "affected": [
                {
                    "package": {"ecosystem": "npm", "name": "pkg"},
                    "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}]}],
                },
                {"package": {"ecosystem": "PyPI", "name": "other"}, "versions": ["1.0"]},
            ],
        },
        "test",
    )
    assert match(PYPI, "pkg", "1.0", [advisory]).matches == ()


def test_listed_version_that_is_not_pep440_is_ignored_not_fatal() -> None:
    advisory = osv([{"introduced": "3.0"}], versions=("1.0-bulbasaur", "1.0"))
    assert isinstance(evaluate(Version("1.0"), advisory.affected[0]), Affects)
    assert evaluate(Version("2.0"), advisory.affected[0]) is None
    assert isinstance(evaluate(Version("3.0"), advisory.affected[0]), Affects)
    assert isinstance(Unknown("x"), Unknown)


# --- laws --------------------------------------------------------------------------------------

_versions = st.builds(
    lambda release, pre, post, dev: (
        ".".join(map(str, release))
        + (f"{pre[0]}{pre[1]}" if pre else "")
        + (f".post{post}" if post is not None else "")
        + (f".dev{dev}" if dev is not None else "")
    ),
    st.lists(st.integers(0, 12), min_size=1, max_size=3),
    st.none() | st.tuples(st.sampled_from(["a", "b", "rc"]), st.integers(0, 2)),
    st.none() | st.integers(0, 2),
    st.none() | st.integers(0, 1),
).filter(lambda text: text != "0")  # `introduced: "0"` is OSV's "before everything", not version 0


@st.composite
def ranges_over_versions(draw: st.DrawFn) -> tuple[list[str], list[dict[str, str]], set[str]]:
    """A sorted list of distinct versions, events at chosen positions, and the versions they cover.

    The expected set is computed from positions in the sorted list alone: no version comparison.
    """
    unique = {Version(v): v for v in draw(st.lists(_versions, min_size=2, max_size=25))}
    ordered = [unique[v] for v in sorted(unique)]
    cuts = sorted(draw(st.sets(st.integers(0, len(ordered) - 1), min_size=1, max_size=8)))
    closing = draw(st.sampled_from(["fixed", "last_affected"]))
    from_zero = draw(st.booleans())
    events: list[dict[str, str]] = []
    covered: set[str] = set()
    starts, ends = cuts[0::2], cuts[1::2]
    for index, start in enumerate(starts):
        first = 0 if from_zero and index == 0 else start
        events.append({"introduced": "0" if from_zero and index == 0 else ordered[start]})
        if index < len(ends):
            end = ends[index]
            events.append({closing: ordered[end]})
            stop = end + 1 if closing == "last_affected" else end
        else:
            stop = len(ordered)
        covered.update(ordered[first:stop])
    limit = draw(st.none() | st.integers(0, len(ordered) - 1))
    if limit is not None:
        events.append({"limit": ordered[limit]})
        covered -= set(ordered[limit:])
    shuffled = draw(st.permutations(events))  # evaluation must sort them itself
    return ordered, list(shuffled), covered


@given(ranges_over_versions())
def test_range_evaluation_agrees_with_the_explicit_sorted_list(
    case: tuple[list[str], list[dict[str, str]], set[str]],
) -> None:
    ordered, events, covered = case
    range_ = AffectedRange("ECOSYSTEM", tuple(RangeEvent(*next(iter(e.items()))) for e in events))
    assert {v for v in ordered if in_range(Version(v), range_)} == covered
    # ...and listing those versions explicitly says the same.
    listed = osv([{"introduced": "99999"}], versions=tuple(sorted(covered)))
    assert {v for v in ordered if isinstance(evaluate(Version(v), listed.affected[0]), Affects)} == covered


@given(ranges_over_versions())
def test_escape_floor_never_skips_an_unaffected_version(
    case: tuple[list[str], list[dict[str, str]], set[str]],
) -> None:
    ordered, events, covered = case
    entry = osv(events).affected[0]
    for text in sorted(covered, key=Version):
        floor = escape_floor(Version(text), entry)
        above = [v for v in ordered if Version(v) > Version(text)]
        if floor is None:
            skipped = above
        else:
            bound, inclusive = floor
            skipped = [v for v in above if Version(v) < bound or (inclusive and Version(v) == bound)]
        assert set(skipped) <= covered, (text, floor)


@given(st.lists(_versions, min_size=3, max_size=3))
def test_pep440_order_is_total_and_transitive(texts: list[str]) -> None:
    a, b, c = map(Version, texts)
    assert (a < b) + (a == b) + (a > b) == 1
    if a <= b <= c:
        assert a <= c


# --- the whole export --------------------------------------------------------------------------

# Records whose `versions` list names versions that their own ECOSYSTEM range excludes. The list
# wins (the OSV rule is versions OR ranges), so these versions are still matched.
RANGE_VERSUS_LIST = {
    # PEP 440 puts 3.2a1 before 3.2, so `introduced: 3.2` excludes the pre-releases the list names.
    ("PYSEC-2023-61", "django", "3.2a1"),
    ("PYSEC-2023-61", "django", "3.2b1"),
    ("PYSEC-2023-61", "django", "3.2rc1"),
    ("PYSEC-2023-61", "django", "4.2a1"),
    ("PYSEC-2023-61", "django", "4.2b1"),
    ("PYSEC-2023-61", "django", "4.2rc1"),
    # `fixed: 23.9.0`, yet the list names 23.9.0 and its post-release.
    ("PYSEC-2023-177", "gevent", "23.9.0"),
    ("PYSEC-2023-177", "gevent", "23.9.0.post1"),
    # Unsorted, overlapping events; sorted, `fixed: 2.11.6` closes the range opened at 0 and 2.11.
    ("PYSEC-2021-114", "wagtail", "2.11.6"),
}


def test_ranges_agree_with_listed_versions_across_the_pypi_export(pypi_source: DirectorySource) -> None:
    disagree = set()
    checked = 0
    for advisory in pypi_source.advisories():
        for affected in advisory.affected:
            for range_ in (r for r in affected.ranges if r.type == "ECOSYSTEM"):
                for text in affected.versions:
                    version = parse_version(text)
                    if version is None:
                        continue
                    try:
                        inside = in_range(version, range_)
                    except ValueError:
                        continue
                    checked += 1
                    if not inside:
                        disagree.add((advisory.id, affected.name, text))
    assert checked > 140_000
    assert disagree == RANGE_VERSUS_LIST
    for advisory_id, name, version in RANGE_VERSUS_LIST:
        ids = [m.advisory.id for m in match(PYPI, name, version, pypi_source.for_package(PYPI, name)).matches]
        assert advisory_id in ids


# --- ecosystems without exported data: small records written for each --------------------------


def _one(ecosystem: str, name: str, kind: str, events: list[dict[str, str]]) -> Advisory:
    return from_data(
        {
            "id": f"T-{ecosystem}",
            "modified": "2025-01-01T00:00:00Z",
            "affected": [
                {
                    "package": {"ecosystem": ecosystem, "name": name},
                    "ranges": [{"type": kind, "events": events}],
                }
            ],
        },
        "test",
    )


# Each range is read under its ecosystem's ordering: the versions chosen sort differently under
# another (a pre-release, an epoch, `~`, a `1.10` after `1.9`, a Composer `-RC`).
ECOSYSTEM_CASES = [
    (Ecosystem.RUBYGEMS, "RubyGems", "rack", [{"introduced": "0"}, {"fixed": "2.2.6.4"}],
     {"2.2.6.3": True, "2.2.6.4.rc1": True, "2.2.6.4": False, "2.10.0": False}),
    (Ecosystem.PACKAGIST, "Packagist", "monolog/monolog", [{"introduced": "2.0.0"}, {"fixed": "2.9.2"}],
     {"1.27.1": False, "2.9.1": True, "2.9.2-RC1": True, "v2.9.2": False, "2.10.0": False}),
    (Ecosystem.NUGET, "NuGet", "Newtonsoft.Json", [{"introduced": "0"}, {"fixed": "13.0.1"}],
     {"12.0.3": True, "13.0.1-beta1": True, "13.0.1": False, "13.0.1.0": False}),
    (Ecosystem.ALPINE, "Alpine:v3.18", "openssl", [{"introduced": "0"}, {"fixed": "3.1.4-r1"}],
     {"3.1.4-r0": True, "3.1.4_rc1-r9": True, "3.1.4-r1": False, "3.1.10-r0": False}),
    (Ecosystem.RED_HAT, "Red Hat", "openssl", [{"introduced": "0"}, {"fixed": "1:3.0.7-24.el9"}],
     {"3.0.9-1.el9": True, "1:3.0.7-23.el9": True, "1:3.0.7-24.el9": False, "1:3.0.7-24.el9_3": False}),
    (Ecosystem.ROCKY_LINUX, "Rocky Linux:9", "curl", [{"introduced": "0"}, {"fixed": "7.76.1-26.el9"}],
     {"7.76.1-9.el9": True, "7.76.1-26.el9": False}),
    (Ecosystem.ALMALINUX, "AlmaLinux:8", "curl", [{"introduced": "7.61.1-1.el8"}, {"fixed": "7.61.1-30.el8"}],
     {"7.61.0-1.el8": False, "7.61.1-9.el8": True, "7.61.1-30.el8": False}),
    (Ecosystem.UBUNTU, "Ubuntu:22.04:LTS", "openssl", [{"introduced": "0"}, {"fixed": "3.0.2-0ubuntu1.10"}],
     {"3.0.2-0ubuntu1.9": True, "3.0.2-0ubuntu1.10~esm1": True, "3.0.2-0ubuntu1.10": False}),
]  # fmt: skip


@pytest.mark.parametrize(("ecosystem", "osv_ecosystem", "name", "events", "expected"), ECOSYSTEM_CASES)
def test_small_records_of_other_ecosystems(
    ecosystem: Ecosystem,
    osv_ecosystem: str,
    name: str,
    events: list[dict[str, str]],
    expected: dict[str, bool],
) -> None:
    advisory = _one(osv_ecosystem, name, "ECOSYSTEM", events)
    # NuGet and Packagist compare names case-insensitively; the others exactly.
    asked = name.upper() if ecosystem in (Ecosystem.NUGET, Ecosystem.PACKAGIST) else name
    assert {v: bool(match(ecosystem, asked, v, [advisory]).matches) for v in expected} == expected


def test_a_record_for_another_release_does_not_apply() -> None:
    advisory = _one("Alpine:v3.18", "openssl", "ECOSYSTEM", [{"introduced": "0"}, {"fixed": "3.1.4-r1"}])
    assert match(Ecosystem.ALPINE, "openssl", "3.1.4-r0", [advisory], release="3.18.4").matches != ()
    assert match(Ecosystem.ALPINE, "openssl", "3.1.4-r0", [advisory], release="3.19").matches == ()
    assert match(Ecosystem.ALPINE, "openssl", "3.1.4-r0", [advisory]).matches != ()  # release unknown


# --- what affects a version, in words -----------------------------------------------------------


@pytest.mark.parametrize(
    ("events", "versions", "version", "text"),
    [
        ([{"introduced": "0"}, {"fixed": "2.0"}], (), "1.0", "affected < 2.0"),
        ([{"introduced": "1.0"}, {"last_affected": "1.4"}], (), "1.4", "affected >= 1.0, <= 1.4"),
        ([{"introduced": "1.0"}, {"fixed": "1.2"}, {"introduced": "2.0"}], (), "2.5",
         "affected >= 2.0 and 1 other range"),
        ([{"introduced": "0"}, {"fixed": "1.0"}, {"introduced": "2.0"}, {"fixed": "2.1"},
          {"introduced": "3.0"}], (), "0.5", "affected < 1.0 and 2 other ranges"),
        ([{"introduced": "0"}], (), "7", "affected every version"),
        ([{"introduced": "1.0"}, {"limit": "1.5"}], (), "1.2", "affected >= 1.0"),
        ([{"introduced": "0"}, {"fixed": "a" * 40}], ("0.5",), "0.5", "listed among its 1 affected version"),
        ([{"introduced": "3.0"}], ("1.0", "1.1"), "1.1", "listed among its 2 affected versions"),
    ],
)  # fmt: skip
def test_what_affects_a_version_in_words(
    events: list[dict[str, str]], versions: tuple[str, ...], version: str, text: str
) -> None:
    git = any(len(e.get("fixed", "")) == 40 for e in events)
    (affected,) = osv(events, versions=versions, kind="GIT" if git else "ECOSYSTEM").affected
    entry = Entry.of(affected, Orders.of("PyPI", [affected]))
    assert isinstance(entry_verdict(entry, Probe(version)), Affects)
    assert affected_text([entry], Probe(version)) == text
