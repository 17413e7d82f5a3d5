"""Version ordering for every ecosystem firstpatch matches, as OSV's evaluation needs it.

ECOSYSTEM ranges are ordered as the ecosystem orders its versions; SEMVER ranges as SemVer 2.0
orders them, whatever the ecosystem. The orderings come from maintained libraries: `packaging`
for PEP 440 and `univers` for the others. Where a library disagrees with the ecosystem's own tool
(pinned by the osv-scalibr vectors in tests/advisories/test_advisories_version_order.py), the
correction lives in `version_fixes`, `apk_versions` or `composer_versions`, never here.

A parsed version is a key with a total order within its scheme (`<`, `==`); keys of different
schemes are never compared. Equality is "neither sorts before the other", so two spellings of
one version (`1.0` and `1.0.0` in Maven) are equal, and keys are not hashed.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from packaging.version import InvalidVersion, Version
from univers import versions as univers_versions

from firstpatch.advisories import apk_versions, composer_versions, version_fixes
from firstpatch.advisories.names import ecosystem_base
from firstpatch.model import Ecosystem

Compare = Callable[[Any, Any], int]


class OrderedVersion:
    """A version of a non-PEP 440 scheme: its text and a value ordered by the scheme's `compare`."""

    __slots__ = ("compare", "text", "value")

    def __init__(self, text: str, value: object, compare: Compare) -> None:
        self.text = text
        self.value = value
        self.compare = compare

    def _cmp(self, other: object) -> int:
        if not isinstance(other, OrderedVersion) or other.compare is not self.compare:
            raise TypeError(f"cannot order {self.text!r} against {other!r}: different version schemes")
        return self.compare(self.value, other.value)

    def __lt__(self, other: object) -> bool:
        return self._cmp(other) < 0

    def __le__(self, other: object) -> bool:
        return self._cmp(other) <= 0

    def __gt__(self, other: object) -> bool:
        return self._cmp(other) > 0

    def __ge__(self, other: object) -> bool:
        return self._cmp(other) >= 0

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, OrderedVersion):
            return NotImplemented
        return self._cmp(other) == 0

    __hash__ = None  # type: ignore[assignment]  # equal spellings differ: keys are never hashed

    def __repr__(self) -> str:
        return f"OrderedVersion({self.text!r})"

    def __str__(self) -> str:
        return self.text


# What a parsed version may be: PEP 440, or another scheme's.
VersionKey = Version | OrderedVersion


@dataclass(frozen=True, slots=True)
class Scheme:
    """One ecosystem's version ordering."""

    name: str
    _parse: Callable[[str], VersionKey | None]
    _prerelease: Callable[[str], bool]

    def parse(self, text: str) -> VersionKey | None:
        """The version's key, or None when the scheme refuses the text."""
        return _parse_cached(self, text)

    def is_prerelease(self, key: VersionKey) -> bool:
        if isinstance(key, Version):
            return key.is_prerelease
        return self._prerelease(str(key))

    def major(self, key: VersionKey) -> tuple[int, int]:
        """(epoch, first number): a change here is a new major version."""
        if isinstance(key, Version):
            return key.epoch, key.release[0]
        return _leading_numbers(str(key))


@lru_cache(maxsize=262144)
def _parse_cached(scheme: Scheme, text: str) -> VersionKey | None:
    return scheme._parse(text)


def _univers(kind: type[univers_versions.Version], fix: Callable[[str], str] = str) -> Callable[[str], Any]:
    """A parser through a univers class, after `fix` rewrites what univers misreads."""

    def parse(text: str) -> object | None:
        try:
            return kind(fix(text))
        except (univers_versions.InvalidVersion, ValueError, TypeError, AttributeError):
            return None

    return parse


def _ordered(parse: Callable[[str], object | None], compare: Compare) -> Callable[[str], VersionKey | None]:
    def build(text: str) -> VersionKey | None:
        value = parse(text)
        return None if value is None else OrderedVersion(text, value, compare)

    return build


def _compare_objects(a: Any, b: Any) -> int:
    """The order univers objects define; equal when neither sorts first (univers's own `==`
    compares spellings in some schemes: Debian `0.0.0-00` and `0.0.0`, SemVer build metadata)."""
    if a < b:
        return -1
    return 1 if b < a else 0


def _pep440(text: str) -> VersionKey | None:
    try:
        return Version(text)
    except InvalidVersion:
        return None


_PRE_SEMVER = re.compile(r"^v?\d+(?:\.\d+)*-")
_PRE_DPKG = re.compile(r"~")
_PRE_APK = re.compile(r"_(?:alpha|beta|pre|rc)\d*", re.IGNORECASE)
_PRE_MAVEN = re.compile(
    r"(?:^|[.\-\d])(?:alpha|beta|milestone|rc|cr|snapshot|preview|[abm](?=\d))", re.IGNORECASE
)
_PRE_GEM = re.compile(r"[a-zA-Z]")
_PRE_NUGET = re.compile(r"^[^+]*-")


def _semver_prerelease(text: str) -> bool:
    return bool(_PRE_SEMVER.match(text.split("+", 1)[0]))


SEMVER = Scheme(
    "SemVer 2.0",
    _ordered(_univers(univers_versions.SemverVersion, version_fixes.semver_without_build), _compare_objects),
    _semver_prerelease,
)
PEP440 = Scheme("PEP 440", _pep440, lambda text: False)  # PEP 440 keys answer for themselves
DPKG = Scheme(
    "Debian (dpkg)",
    _ordered(_univers(univers_versions.DebianVersion), _compare_objects),
    lambda text: bool(_PRE_DPKG.search(text)),
)
RPM = Scheme(
    "RPM",
    _ordered(version_fixes.rpm_evr, version_fixes.compare_rpm),
    lambda text: bool(_PRE_DPKG.search(text)),
)
APK = Scheme(
    "Alpine (apk)",
    _ordered(apk_versions.tokens, apk_versions.compare),
    lambda text: bool(_PRE_APK.search(text)),
)
MAVEN = Scheme(
    "Maven",
    _ordered(
        _univers(univers_versions.MavenVersion, version_fixes.maven_without_release_aliases), _compare_objects
    ),
    lambda text: bool(_PRE_MAVEN.search(text)),
)
NUGET = Scheme(
    "NuGet",
    _ordered(_univers(univers_versions.NugetVersion), _compare_objects),
    lambda text: bool(_PRE_NUGET.match(text)),
)
RUBYGEMS = Scheme(
    "RubyGems",
    _ordered(_univers(univers_versions.RubygemsVersion, version_fixes.gem_with_dots), _compare_objects),
    lambda text: bool(_PRE_GEM.search(text)),
)
COMPOSER = Scheme(
    "Composer (PHP version_compare)",
    _ordered(composer_versions.parts, composer_versions.compare),
    composer_versions.is_prerelease,
)

SCHEMES: dict[str, Scheme] = {
    Ecosystem.PYPI: PEP440,
    Ecosystem.NPM: SEMVER,
    Ecosystem.GO: SEMVER,
    Ecosystem.CRATES_IO: SEMVER,
    Ecosystem.RUBYGEMS: RUBYGEMS,
    Ecosystem.PACKAGIST: COMPOSER,
    Ecosystem.MAVEN: MAVEN,
    Ecosystem.NUGET: NUGET,
    Ecosystem.DEBIAN: DPKG,
    Ecosystem.UBUNTU: DPKG,
    Ecosystem.ALPINE: APK,
    Ecosystem.RED_HAT: RPM,
    Ecosystem.ROCKY_LINUX: RPM,
    Ecosystem.ALMALINUX: RPM,
}


def ecosystem_scheme(ecosystem: str) -> Scheme | None:
    """The ordering of an OSV ecosystem (`Debian:12` orders as `Debian`); None when unsupported."""
    return SCHEMES.get(ecosystem_base(ecosystem))


def range_scheme(range_type: str, ecosystem: str) -> Scheme | None:
    """How a range's bounds are ordered: SEMVER ranges by SemVer 2.0, ECOSYSTEM ranges by the
    ecosystem's own ordering, GIT ranges not at all."""
    if range_type == "SEMVER":
        return SEMVER
    if range_type == "ECOSYSTEM":
        return ecosystem_scheme(ecosystem)
    return None


_LEADING = re.compile(r"^(?:(\d+):)?\D*?(\d+)")


def _leading_numbers(text: str) -> tuple[int, int]:
    found = _LEADING.match(text)
    if found is None:
        return 0, 0
    return int(found.group(1) or 0), int(found.group(2))


def clear_caches() -> None:
    """Forget parsed versions (benchmarks measure cold runs with this)."""
    _parse_cached.cache_clear()
