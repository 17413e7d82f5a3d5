"""The dpkg status database (`var/lib/dpkg/status`, and distroless images' `status.d/*` files).

One paragraph per package, RFC 822 fields. Only packages whose `Status` says `installed` are
components (removed packages leave paragraphs behind). `Source` names the source package, with
its version in parentheses when it differs: Debian's advisories are about source packages, so
it goes into the purl's `upstream` qualifier. apt's `extended_states` marks packages installed
only to satisfy others (`Auto-Installed: 1`): those are transitive.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from firstpatch.inventory._lines import Lines
from firstpatch.inventory._purl import component
from firstpatch.inventory.interface import Parsed
from firstpatch.inventory.os_release import Distribution
from firstpatch.model import Component, Skipped

_SOURCE = re.compile(r"^(\S+)(?:\s+\(([^)]+)\))?$")


def paragraphs(text: str) -> Iterator[tuple[int, dict[str, str]]]:
    """Each paragraph's first line and fields; continuation lines are joined to their field."""
    fields: dict[str, str] = {}
    start = 0
    last = ""
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            if fields:
                yield start, fields
            fields, last = {}, ""
            continue
        if not fields:
            start = number
        if line[0] in " \t":
            if last:
                fields[last] += "\n" + line.strip()
            continue
        key, sep, value = line.partition(":")
        if sep:
            last = key.strip()
            fields[last] = value.strip()
    if fields:
        yield start, fields


def auto_installed(text: str) -> set[str]:
    """Packages apt's extended_states marks as installed automatically."""
    return {
        fields["Package"]
        for _, fields in paragraphs(text)
        if fields.get("Auto-Installed") == "1" and "Package" in fields
    }


def dpkg_components(text: str, path: str, distro: Distribution, automatic: set[str]) -> Parsed:
    lines = Lines(text)
    components: list[Component] = []
    problems: list[Skipped] = []
    for start, fields in paragraphs(text):
        status = fields.get("Status", "install ok installed").split()
        if status[-1:] != ["installed"]:
            continue
        name, version = fields.get("Package"), fields.get("Version")
        if not name or not version:
            problems.append(Skipped(path, "a package paragraph without Package and Version", start))
            continue
        qualifiers = {"distro": distro.qualifier}
        if fields.get("Architecture"):
            qualifiers["arch"] = fields["Architecture"]
        source = _SOURCE.match(fields.get("Source", ""))
        if source is not None:
            source_name, source_version = source.groups()
            qualifiers["upstream"] = source_name + (f"@{source_version}" if source_version else "")
        components.append(
            component(
                distro.ecosystem,
                name,
                version,
                lines.location(path, start),
                direct=name not in automatic,
                qualifiers=qualifiers,
            )
        )
    return Parsed(tuple(components), tuple(problems))
