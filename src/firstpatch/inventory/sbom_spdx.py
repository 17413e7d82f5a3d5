"""SPDX 2.2 and 2.3 SBOMs in JSON, read by spdx-tools.

The JSON is loaded here (with the size and depth caps every JSON format has), then spdx-tools
builds the document and validates it. A document it cannot build is a problem and is not read; a
built document that breaks SPDX's rules is read all the same (many generators break a rule or
two) and the first broken rule is reported. Each package with a `purl` external reference (the
`PACKAGE-MANAGER` category) is a component; packages without one have nothing to match.
Relationships give the roles: what the described package `DEPENDS_ON` (or what is a
`DEPENDENCY_OF` it) is direct, and `DEV_DEPENDENCY_OF`/`TEST_DEPENDENCY_OF` make a package
development-only. Lines come from each package's `SPDXID` in the text.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath
from typing import Any

from firstpatch.inventory._lines import Lines
from firstpatch.inventory._load import load_json
from firstpatch.inventory._purl import from_purl
from firstpatch.inventory.interface import ManifestParser, Parsed, Reader
from firstpatch.model import Component, Skipped

_SUPPORTED = ("SPDX-2.2", "SPDX-2.3")
_SPDX_ID = re.compile(r'"SPDXID"\s*:\s*"([^"\\\n]*)"')
_DIRECT = frozenset({"DEPENDS_ON", "DEPENDENCY_OF", "DEV_DEPENDENCY_OF", "TEST_DEPENDENCY_OF", "CONTAINS"})
_DEV = frozenset({"DEV_DEPENDENCY_OF", "TEST_DEPENDENCY_OF"})
_REVERSED = frozenset({"DEPENDENCY_OF", "DEV_DEPENDENCY_OF", "TEST_DEPENDENCY_OF"})  # package -> subject


class SpdxParser(ManifestParser):
    name = "spdx"

    def handles(self, filename: str) -> bool:
        return PurePosixPath(filename).name.endswith(".spdx.json")

    def recognises(self, head: str) -> bool:
        return '"spdxVersion"' in head

    def parse(self, text: str, path: str, read: Reader | None = None) -> Parsed:
        data = load_json(text, path)
        if isinstance(data, Skipped):
            return Parsed((), (data,))
        version = data.get("spdxVersion") if isinstance(data, dict) else None
        if not isinstance(version, str):
            return Parsed((), (Skipped(path, 'not an SPDX document: no "spdxVersion"', 1),))
        if version not in _SUPPORTED:
            return Parsed((), (Skipped(path, f"{version} is not read; SPDX 2.2 and 2.3 JSON are", 1),))
        from spdx_tools.spdx.parser.error import SPDXParsingError
        from spdx_tools.spdx.parser.jsonlikedict.json_like_dict_parser import JsonLikeDictParser
        from spdx_tools.spdx.validation.document_validator import validate_full_spdx_document

        try:
            document = JsonLikeDictParser().parse(data)  # type: ignore[no-untyped-call]
        except SPDXParsingError as exc:
            messages = exc.get_messages()  # type: ignore[no-untyped-call]
            first = _short(messages[0]) if messages else "unreadable"
            return Parsed((), (Skipped(path, f"not a valid {version} document: {first}"),))
        problems = []
        broken = validate_full_spdx_document(document, version)
        if broken:
            first = _short(broken[0].validation_message)
            problems.append(Skipped(path, f"breaks {len(broken)} SPDX rule(s), read anyway; first: {first}"))
        lines = Lines(text)
        where = {m.group(1): lines.line_of(m.start()) for m in _SPDX_ID.finditer(text)}
        return Parsed(_components(document, path, lines, where), tuple(problems))


def _components(document: Any, path: str, lines: Lines, where: dict[str, int]) -> tuple[Component, ...]:
    subjects = {
        r.related_spdx_element_id
        for r in document.relationships
        if r.relationship_type.name == "DESCRIBES" and r.spdx_element_id == document.creation_info.spdx_id
    }
    direct: set[str] = set()
    dev: set[str] = set()
    for relationship in document.relationships:
        kind = relationship.relationship_type.name
        if kind not in _DIRECT:
            continue
        owner, other = relationship.spdx_element_id, str(relationship.related_spdx_element_id)
        if kind in _REVERSED:
            owner, other = other, owner
        if owner in subjects:
            direct.add(other)
            if kind in _DEV:
                dev.add(other)
    found: list[Component] = []
    for package in document.packages:
        if package.spdx_id in subjects:
            continue  # what the document is about: the project itself
        for reference in package.external_references:
            if reference.category.name != "PACKAGE_MANAGER" or reference.reference_type != "purl":
                continue
            location = lines.location(path, where.get(package.spdx_id, 0))
            is_direct = not subjects or package.spdx_id in direct
            component = from_purl(reference.locator, location, direct=is_direct, dev=package.spdx_id in dev)
            if component is not None:
                found.append(component)
    return tuple(found)


def _short(message: object) -> str:
    return str(message).splitlines()[0][:300]
