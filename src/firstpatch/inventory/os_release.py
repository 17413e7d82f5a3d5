"""The distribution a root filesystem holds, from its os-release file, and OSV's name for it.

OS packages are matched per release: OSV writes `Debian:12`, `Ubuntu:22.04:LTS`, `Alpine:v3.20`,
`Rocky Linux:9`. A component carries its release in the purl's `distro` qualifier
(`debian-12`, as Syft writes it), and `osv_ecosystem` turns that back into OSV's spelling.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass

from packageurl import PackageURL

from firstpatch.model import Component, Ecosystem

# os-release ID (or an ID_LIKE fallback) -> ecosystem. Distributions not here have no OSV
# ecosystem in firstpatch.model yet (Fedora, Amazon Linux, openSUSE, Wolfi, ...).
_ECOSYSTEMS = {
    "debian": Ecosystem.DEBIAN,
    "ubuntu": Ecosystem.UBUNTU,
    "alpine": Ecosystem.ALPINE,
    "rhel": Ecosystem.RED_HAT,
    "rocky": Ecosystem.ROCKY_LINUX,
    "almalinux": Ecosystem.ALMALINUX,
}
_DISTRO = re.compile(r"^([a-z0-9._-]+?)-(\d[\w.]*)$")


@dataclass(frozen=True, slots=True)
class Distribution:
    id: str  # os-release ID: debian, ubuntu, alpine, rhel, rocky, almalinux
    version_id: str  # os-release VERSION_ID: 12, 22.04, 3.20.3, 9.3 ("" when absent: testing, sid)
    ecosystem: Ecosystem

    @property
    def qualifier(self) -> str:
        """The purl `distro` qualifier: `debian-12`."""
        return f"{self.id}-{self.version_id}" if self.version_id else self.id

    @property
    def osv(self) -> str:
        return osv_name(self.ecosystem, self.version_id)


def parse_os_release(text: str) -> dict[str, str]:
    """os-release's `KEY=value` lines, values unquoted as the shell would."""
    values = {}
    for line in text.splitlines():
        key, sep, raw = line.strip().partition("=")
        if not sep or key.startswith("#") or not key:
            continue
        try:
            words = shlex.split(raw)
        except ValueError:
            words = [raw.strip("\"'")]
        values[key] = words[0] if words else ""
    return values


def distribution(values: dict[str, str]) -> Distribution | None:
    """The distribution os-release names, if firstpatch knows an OSV ecosystem for it."""
    candidates = [values.get("ID", "").lower(), *values.get("ID_LIKE", "").lower().split()]
    for candidate in candidates:
        if candidate in _ECOSYSTEMS:
            return Distribution(candidate, values.get("VERSION_ID", ""), _ECOSYSTEMS[candidate])
    return None


def osv_name(ecosystem: Ecosystem, version_id: str) -> str:
    """OSV's ecosystem string for a release: `Debian:12`, `Alpine:v3.20`, `Ubuntu:22.04:LTS`."""
    if not version_id:
        return str(ecosystem)
    parts = version_id.split(".")
    if ecosystem is Ecosystem.ALPINE:
        return f"Alpine:v{'.'.join(parts[:2])}"
    if ecosystem is Ecosystem.DEBIAN:
        return f"Debian:{parts[0]}"
    if ecosystem is Ecosystem.UBUNTU:
        # Ubuntu's LTS releases are the April releases of even years.
        lts = len(parts) >= 2 and parts[1] == "04" and parts[0].isdigit() and int(parts[0]) % 2 == 0
        return f"Ubuntu:{'.'.join(parts[:2])}" + (":LTS" if lts else "")
    if ecosystem is Ecosystem.RED_HAT:
        # OSV's Red Hat ecosystems go on with a repository (`::appstream`) an rpm database does
        # not record: this is the prefix every one of them for the release starts with.
        return f"Red Hat:enterprise_linux:{parts[0]}"
    return f"{ecosystem}:{parts[0]}"


def osv_ecosystem(component: Component) -> str:
    """OSV's ecosystem for a component: with the release for OS packages (from the purl's
    `distro` qualifier), the plain ecosystem otherwise."""
    if component.ecosystem not in _OS_ECOSYSTEMS:
        return str(component.ecosystem)
    try:
        qualifiers = PackageURL.from_string(component.purl).qualifiers or {}
    except ValueError:
        return str(component.ecosystem)
    distro = qualifiers.get("distro", "") if isinstance(qualifiers, dict) else ""
    match = _DISTRO.match(distro)
    return osv_name(component.ecosystem, match.group(2) if match else "")


def osv_package(component: Component) -> tuple[str, str, str | None]:
    """(ecosystem, name, version) as OSV lists the component. Debian, Ubuntu and Alpine list
    source packages: their name and version come from the purl's `upstream` qualifier
    (`openssl` or `openssl@3.0.11-1`, as Syft writes it) when it is there."""
    ecosystem = osv_ecosystem(component)
    if component.ecosystem not in (Ecosystem.DEBIAN, Ecosystem.UBUNTU, Ecosystem.ALPINE):
        return ecosystem, component.name, component.version
    try:
        qualifiers = PackageURL.from_string(component.purl).qualifiers or {}
    except ValueError:
        return ecosystem, component.name, component.version
    upstream = qualifiers.get("upstream", "") if isinstance(qualifiers, dict) else ""
    name, _, version = upstream.partition("@")
    return ecosystem, name or component.name, version or component.version


_OS_ECOSYSTEMS = frozenset(_ECOSYSTEMS.values())
