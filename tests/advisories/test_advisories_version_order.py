"""Every ecosystem's ordering against osv-scalibr's version vectors (`version-order/*.txt`).

Each line is `a < b`, `a = b` or `a > b`; every line holds for every ecosystem firstpatch
supports that uses that file's ordering, both for the parsed versions and for their positions in
a sorted `VersionOrder`, which is what matching compares. The only lines that do not are PyPI's pre-PEP 440
versions, which packaging refuses and firstpatch reports as not matched (pinned below). Files
for ecosystems firstpatch does not support are named, so that a new file is noticed.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from univers import versions as univers_versions

from firstpatch.advisories import match
from firstpatch.advisories.ranks import VersionOrder
from firstpatch.advisories.versions import SCHEMES, ecosystem_scheme
from firstpatch.model import Ecosystem

VECTORS = Path("/work/shared/data/version-order")

ECOSYSTEMS_BY_FILE: dict[str, tuple[Ecosystem, ...]] = {
    "pypi-versions.txt": (Ecosystem.PYPI,),
    "semver-versions.txt": (Ecosystem.NPM, Ecosystem.GO, Ecosystem.CRATES_IO),
    "debian-versions.txt": (Ecosystem.DEBIAN, Ecosystem.UBUNTU),
    "redhat-versions.txt": (Ecosystem.RED_HAT, Ecosystem.ROCKY_LINUX, Ecosystem.ALMALINUX),
    "alpine-versions.txt": (Ecosystem.ALPINE,),
    "maven-versions.txt": (Ecosystem.MAVEN,),
    "nuget-versions.txt": (Ecosystem.NUGET,),
    "packagist-versions.txt": (Ecosystem.PACKAGIST,),
    "rubygems-versions.txt": (Ecosystem.RUBYGEMS,),
}
UNSUPPORTED = {"cran-versions.txt", "hackage-versions.txt", "pub-versions.txt"}

# Pre-PEP 440 versions: packaging dropped LegacyVersion in 22.0, so these do not parse.
# osv-scalibr keeps them for tools on older packaging. firstpatch never orders them: a component
# with such a version is reported as not matched, with that reason (see the test below).
LEGACY = frozenset(
    {
        "0.1-bulbasaur < 0.1-charmander",
        "0.1-charmander < 0.9-doduo",
        "0.9-doduo < 0.9-eevee",
        "0.9-eevee < 0.9-fearow",
        "0.9-fearow < 0.9-gyarados",
        "0.9-gyarados < 0.9-horsea",
        "0.9-horsea < 0.9-ivysaur",
        "0.9-ivysaur < 1.0",
        "-class.-jw.util.version.version-pre < 1.0",
        "-class.-jw.util.version.version-preview < 1.0",
        "-class.-jw.util.version.version-dev < 1.0",
    }
)


def _lines(path: Path) -> list[tuple[int, str]]:
    found = []
    for number, raw in enumerate(path.read_text().splitlines(), start=1):
        line = raw.strip()
        if line and not line.startswith(("#", "//")):
            found.append((number, line))
    return found


def _cases() -> list[object]:
    if not VECTORS.is_dir():
        return []
    cases: list[object] = []
    for name, ecosystems in ECOSYSTEMS_BY_FILE.items():
        for number, line in _lines(VECTORS / name):
            if line in LEGACY:
                continue
            for ecosystem in ecosystems:
                cases.append(pytest.param(ecosystem, line, id=f"{ecosystem}:{name}:{number}"))
    return cases


CASES = _cases()
pytestmark = pytest.mark.skipif(not CASES, reason=f"no version vectors under {VECTORS}")


def test_every_vector_file_is_known_and_every_ecosystem_is_covered() -> None:
    assert {path.name for path in VECTORS.glob("*.txt")} == set(ECOSYSTEMS_BY_FILE) | UNSUPPORTED
    covered = {e for ecosystems in ECOSYSTEMS_BY_FILE.values() for e in ecosystems}
    assert covered == set(Ecosystem) == set(SCHEMES)
    assert {line for _, line in _lines(VECTORS / "pypi-versions.txt")} >= LEGACY


@pytest.mark.parametrize(("ecosystem", "line"), CASES)
def test_ordering_holds(ecosystem: Ecosystem, line: str) -> None:
    left, op, right = line.split()
    scheme = ecosystem_scheme(ecosystem)
    assert scheme is not None
    a, b = scheme.parse(left), scheme.parse(right)
    assert a is not None, f"{scheme.name} refuses {left!r}"
    assert b is not None, f"{scheme.name} refuses {right!r}"
    expected = {"<": (True, False, False), "=": (False, True, False), ">": (False, False, True)}[op]
    assert (a < b, a == b, a > b) == expected
    # The converse holds too, so sorting agrees with the vector both ways.
    assert (b > a, b == a, b < a) == expected
    # Matching compares positions in a package's sorted versions: both named (dict lookups)...
    order = VersionOrder.of(scheme, [left, right])
    pa, pb = order.position(left), order.position(right)
    assert pa is not None
    assert pb is not None
    assert (pa < pb, pa == pb, pa > pb) == expected
    # ...and one placed by bisection against the other.
    assert VersionOrder.of(scheme, [left]).position(right) == {"<": 2, "=": 1, ">": 0}[op]


@pytest.mark.parametrize("line", sorted(LEGACY))
def test_legacy_versions_are_refused_and_reported(line: str) -> None:
    left, _, right = line.split()
    for text in (left, right):
        result = match(Ecosystem.PYPI, "pkg", text, [])
        if text == "1.0":
            assert result.reason == ""
        else:
            assert result.reason == f"version {text!r} is not a PEP 440 version; not matched"


# Where univers alone is wrong: each case fails with the library and holds with the correction.
UNIVERS_WRONG = [
    (univers_versions.SemverVersion, "1.2.3+build", "=", "1.2.3+otherbuild"),
    (univers_versions.DebianVersion, "0.0.0", "=", "0.0.0-00"),
    (univers_versions.RpmVersion, "a:1", "<", "b:1"),
    (univers_versions.RpmVersion, "1", "<", "1-"),
    (univers_versions.MavenVersion, "1release", "=", "1"),
    (univers_versions.MavenVersion, "1-1", "=", "1-ga-1"),
    (univers_versions.RubygemsVersion, "1", ">", "1beta"),
    (univers_versions.AlpineLinuxVersion, "1.2", "<", "1.2_git1"),
    (univers_versions.ComposerVersion, "1.0.0", ">", "1.0"),
    (univers_versions.ComposerVersion, "1.0-dev", "<", "1.0a1"),
]


@pytest.mark.parametrize(("kind", "left", "op", "right"), UNIVERS_WRONG)
def test_univers_alone_gets_these_wrong(
    kind: type[univers_versions.Version], left: str, op: str, right: str
) -> None:
    try:
        a, b = kind(left), kind(right)
        holds = {"<": a < b, "=": (not a < b and not b < a and a == b), ">": a > b}[op]
    except (ValueError, univers_versions.InvalidVersion):
        holds = False
    assert not holds, "univers got this right: the correction in version_fixes may go"
