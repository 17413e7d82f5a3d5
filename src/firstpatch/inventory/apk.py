"""Alpine's installed database (`lib/apk/db/installed`) and its world file (`etc/apk/world`).

One paragraph per package of single-letter fields: `P` the package, `V` its version, `A` the
architecture, `o` the origin (source) package that Alpine's advisories name, which goes into
the purl's `upstream` qualifier. The world file lists what was asked for; the rest came along.
"""

from __future__ import annotations

import re

from firstpatch.inventory._lines import Lines
from firstpatch.inventory._purl import component
from firstpatch.inventory.dpkg import paragraphs
from firstpatch.inventory.interface import Parsed
from firstpatch.inventory.os_release import Distribution
from firstpatch.model import Component, Skipped

_WORLD_NAME = re.compile(r"^([^<>=~@!\s]+)")


def world(text: str) -> set[str]:
    """Package names in a world file (constraints and repository tags stripped)."""
    names = set()
    for word in text.split():
        match = _WORLD_NAME.match(word)
        if match:
            names.add(match.group(1))
    return names


def apk_components(text: str, path: str, distro: Distribution, asked: set[str] | None) -> Parsed:
    lines = Lines(text)
    components: list[Component] = []
    problems: list[Skipped] = []
    for start, fields in paragraphs(text):
        name, version = fields.get("P"), fields.get("V")
        if not name or not version:
            problems.append(Skipped(path, "a package without P: and V: lines", start))
            continue
        qualifiers = {"distro": distro.qualifier}
        if fields.get("A"):
            qualifiers["arch"] = fields["A"]
        if fields.get("o"):
            qualifiers["upstream"] = fields["o"]
        components.append(
            component(
                distro.ecosystem,
                name,
                version,
                lines.location(path, start),
                direct=asked is None or name in asked,
                qualifiers=qualifiers,
            )
        )
    return Parsed(tuple(components), tuple(problems))
