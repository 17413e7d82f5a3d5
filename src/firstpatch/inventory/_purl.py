"""Components of every ecosystem, each with the purl its ecosystem's purl type defines.

Names are kept as the OSV schema names them (`@scope/name` for npm, `group:artifact` for Maven,
the module path for Go, `vendor/package` for Packagist), since that is what advisories are
matched against; the purl splits them into namespace and name as the purl specification says.
A component without a version (a git, URL or path dependency) gets a purl without one.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping

from packageurl import PackageURL

from firstpatch.inventory._pypi import pypi_component
from firstpatch.model import Component, Ecosystem, Location

PURL_TYPES: dict[Ecosystem, str] = {
    Ecosystem.PYPI: "pypi",
    Ecosystem.NPM: "npm",
    Ecosystem.GO: "golang",
    Ecosystem.CRATES_IO: "cargo",
    Ecosystem.RUBYGEMS: "gem",
    Ecosystem.PACKAGIST: "composer",
    Ecosystem.MAVEN: "maven",
    Ecosystem.NUGET: "nuget",
    Ecosystem.DEBIAN: "deb",
    Ecosystem.UBUNTU: "deb",
    Ecosystem.ALPINE: "apk",
    Ecosystem.RED_HAT: "rpm",
    Ecosystem.ROCKY_LINUX: "rpm",
    Ecosystem.ALMALINUX: "rpm",
}

# The purl namespace of an OS package is its distribution's vendor.
OS_NAMESPACES: dict[Ecosystem, str] = {
    Ecosystem.DEBIAN: "debian",
    Ecosystem.UBUNTU: "ubuntu",
    Ecosystem.ALPINE: "alpine",
    Ecosystem.RED_HAT: "redhat",
    Ecosystem.ROCKY_LINUX: "rocky",
    Ecosystem.ALMALINUX: "almalinux",
}


def component(
    ecosystem: Ecosystem,
    name: str,
    version: str | None,
    location: Location,
    *,
    direct: bool = True,
    dev: bool = False,
    qualifiers: Mapping[str, str] | None = None,
    purl_version: str | None = None,
) -> Component:
    """A component named as OSV names it; `purl_version` when the purl spells the version
    differently (Go's `v1.2.3` against OSV's `1.2.3`)."""
    if ecosystem is Ecosystem.PYPI:
        return pypi_component(name, version, location, dev=dev, direct=direct)
    namespace, short = _split(ecosystem, name)
    written = purl_version if purl_version is not None and version is not None else version
    purl = purl_string(
        PURL_TYPES[ecosystem], namespace, short, written, tuple(sorted((qualifiers or {}).items()))
    )
    return Component(
        purl=purl,
        name=name,
        version=version,
        ecosystem=ecosystem,
        locations=(location,),
        direct=direct,
        dev=dev,
    )


@functools.lru_cache(maxsize=65536)
def purl_string(
    purl_type: str,
    namespace: str | None,
    name: str,
    version: str | None,
    qualifiers: tuple[tuple[str, str], ...],
) -> str:
    """A purl's canonical text; cached, since an organisation's lockfiles repeat the same packages."""
    return PackageURL(
        type=purl_type, namespace=namespace, name=name, version=version, qualifiers=dict(qualifiers) or None
    ).to_string()


def _split(ecosystem: Ecosystem, name: str) -> tuple[str | None, str]:
    if ecosystem in OS_NAMESPACES:
        return OS_NAMESPACES[ecosystem], name
    if ecosystem is Ecosystem.MAVEN and ":" in name:
        group, _, artifact = name.partition(":")
        return group, artifact
    if ecosystem in (Ecosystem.NPM, Ecosystem.GO, Ecosystem.PACKAGIST) and "/" in name:
        namespace, _, short = name.rpartition("/")
        return namespace, short
    return None, name


_ECOSYSTEM_OF_TYPE = {
    purl_type: ecosystem for ecosystem, purl_type in PURL_TYPES.items() if ecosystem not in OS_NAMESPACES
}
_OS_ECOSYSTEM_OF = {(PURL_TYPES[e], namespace): e for e, namespace in OS_NAMESPACES.items()}
_V_PREFIXED = frozenset({Ecosystem.GO, Ecosystem.PACKAGIST})


def from_purl(purl: str, location: Location, *, direct: bool = True, dev: bool = False) -> Component | None:
    """The component a purl names (as an SBOM gives it); None for a purl type firstpatch does not
    model (`pkg:generic`, `pkg:github`, ...) or a purl that does not parse."""
    try:
        parsed = PackageURL.from_string(purl)
    except ValueError:
        return None
    ecosystem = _ECOSYSTEM_OF_TYPE.get(parsed.type) or _OS_ECOSYSTEM_OF.get(
        (parsed.type, parsed.namespace or "")
    )
    if ecosystem is None:
        return None
    if ecosystem is Ecosystem.PYPI:
        return pypi_component(parsed.name, parsed.version, location, dev=dev, direct=direct)
    namespace = parsed.namespace or ""
    if ecosystem is Ecosystem.MAVEN and namespace:
        name = f"{namespace}:{parsed.name}"
    elif ecosystem in (Ecosystem.NPM, Ecosystem.GO, Ecosystem.PACKAGIST) and namespace:
        name = f"{namespace}/{parsed.name}"
    else:
        name = parsed.name
    version = parsed.version
    qualifiers = parsed.qualifiers if isinstance(parsed.qualifiers, dict) else {}
    if version is not None and ecosystem in _V_PREFIXED:
        version = version.removeprefix("v")
    elif version is not None and parsed.type == "rpm" and qualifiers.get("epoch"):
        version = f"{qualifiers['epoch']}:{version}"
    return Component(
        purl=parsed.to_string(),
        name=name,
        version=version,
        ecosystem=ecosystem,
        locations=(location,),
        direct=direct,
        dev=dev,
    )
