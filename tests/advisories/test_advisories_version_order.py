"""PEP 440 ordering as `packaging` implements it, against osv-scalibr's PyPI test vectors.

Each line of `version-order/*PyPI*.txt` (matched case-insensitively) is `a < b`, `a = b` or `a > b`.
Lines packaging cannot hold are pinned below with the reason, never silently skipped.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from packaging.version import InvalidVersion, Version

from firstpatch.advisories import match
from firstpatch.model import Ecosystem

VECTORS = Path("/work/shared/data/version-order")

# Legacy (pre-PEP 440) versions: packaging dropped LegacyVersion in 22.0, so these do not parse.
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


def _cases() -> list[tuple[str, int, str]]:
    files = sorted(p for p in VECTORS.glob("*.txt") if "pypi" in p.name.lower()) if VECTORS.is_dir() else []
    cases = []
    for path in files:
        for number, raw in enumerate(path.read_text().splitlines(), start=1):
            line = raw.strip()
            if line and not line.startswith(("#", "//")):
                cases.append((path.name, number, line))
    return cases


CASES = _cases()
pytestmark = pytest.mark.skipif(not CASES, reason=f"no PyPI version vectors under {VECTORS}")


def test_vectors_were_found() -> None:
    assert len(CASES) == 37  # pypi-versions.txt at osv-scalibr c2094f2
    assert {line for _, _, line in CASES} >= LEGACY


@pytest.mark.parametrize(
    "line",
    [pytest.param(line, id=f"{name}:{number}") for name, number, line in CASES if line not in LEGACY],
)
def test_packaging_orders_as_the_vector_says(line: str) -> None:
    left, op, right = line.split()
    a, b = Version(left), Version(right)
    expected = {"<": (True, False, False), "=": (False, True, False), ">": (False, False, True)}[op]
    assert (a < b, a == b, a > b) == expected
    # The converse holds too, so sorting by packaging agrees with the vector both ways.
    assert (b > a, b == a, b < a) == expected


@pytest.mark.parametrize("line", [pytest.param(line, id=line) for line in sorted(LEGACY)])
def test_legacy_versions_are_refused_and_reported(line: str) -> None:
    left, _, right = line.split()
    with pytest.raises(InvalidVersion):
        Version(left)
    for text in (left, right):
        result = match(Ecosystem.PYPI, "pkg", text, [])
        if text == "1.0":
            assert result.reason == ""
        else:
            assert result.reason == f"version {text!r} is not a PEP 440 version; not matched"
