"""Package names and distribution releases as each ecosystem compares them.

Names: PyPI after PEP 503 normalisation; crates.io, NuGet and Packagist case-insensitively
(crates.io also treats `-` and `_` alike), as their registries refuse names that differ only so;
every other ecosystem exactly as written.

Releases: OSV names a distribution's release after a colon (`Debian:12`, `Alpine:v3.20`,
`Ubuntu:22.04:LTS`). An OS package's purl says which release it came from (`distro=debian-12`,
`distro=3.20.3`); a record for another release does not apply to it.
"""

from __future__ import annotations

import re

from packageurl import PackageURL
from packaging.utils import canonicalize_name

from firstpatch.model import Component, Ecosystem

_CASE_INSENSITIVE = frozenset({Ecosystem.NUGET, Ecosystem.PACKAGIST})
_OS = frozenset(
    {
        Ecosystem.DEBIAN,
        Ecosystem.UBUNTU,
        Ecosystem.ALPINE,
        Ecosystem.RED_HAT,
        Ecosystem.ROCKY_LINUX,
        Ecosystem.ALMALINUX,
    }
)
_RELEASE_NUMBER = re.compile(r"(\d+(?:\.\d+)?)")


def ecosystem_base(ecosystem: str) -> str:
    """`Debian:10` -> `Debian`: OSV ecosystems may carry a release suffix after a colon."""
    return ecosystem.split(":", 1)[0]


def normalise(ecosystem: str, name: str) -> str:
    """The name as the ecosystem compares it."""
    base = ecosystem_base(ecosystem)
    if base == Ecosystem.PYPI:
        return canonicalize_name(name)
    if base == Ecosystem.CRATES_IO:
        return name.lower().replace("_", "-")
    if base in _CASE_INSENSITIVE:
        return name.lower()
    return name


def component_release(component: Component) -> str | None:
    """The distribution release of an OS package (`12`, `3.20`, `22.04`), from its purl's
    `distro` qualifier; None for library packages and when the purl does not say."""
    if component.ecosystem not in _OS:
        return None
    try:
        distro = PackageURL.from_string(component.purl).qualifiers.get("distro")
    except ValueError:
        return None
    if not isinstance(distro, str):
        return None
    found = _RELEASE_NUMBER.search(distro)
    return found.group(1) if found else None


def release_applies(osv_ecosystem: str, release: str | None) -> bool:
    """Whether a record's ecosystem (`Debian:12`, `Alpine:v3.20`) covers a package from
    `release`. A record without a release, or a package whose release is unknown, applies."""
    if release is None or ":" not in osv_ecosystem:
        return True
    suffix = osv_ecosystem.split(":", 1)[1]
    found = _RELEASE_NUMBER.search(suffix)
    if found is None:
        return True
    wanted = found.group(1)
    # Alpine names a minor release (v3.20); the package's distro may be a point release (3.20.3).
    return release == wanted or release.startswith(wanted + ".") or wanted.startswith(release + ".")
