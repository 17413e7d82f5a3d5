"""CycloneDX SBOMs, 1.4 to 1.6, in JSON and in XML, read by cyclonedx-python-lib.

A file is first checked against the schema of the version it declares, by the library's own
validators; one that breaks it is a problem and is not read. The library then deserialises it,
and every component — nested ones too — with a purl of an ecosystem firstpatch models becomes a
component (files, operating systems and `pkg:generic` ones have nothing to match and are left
out). The subject's entry in `dependencies` says which are direct; the `optional` and
`excluded` scopes are development-only. Lines come from each component's `bom-ref` in the text.

Recognised by name (`bom.json`, `bom.xml`, `*.cdx.json`, `*.cdx.xml`) or, under any other
`.json` or `.xml` name, by content. XML is parsed by defusedxml first, with a depth cap.
"""

from __future__ import annotations

import json
import re
import warnings
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any

from firstpatch.inventory._lines import Lines
from firstpatch.inventory._load import XmlDocument, load_json, load_xml
from firstpatch.inventory._purl import from_purl
from firstpatch.inventory.interface import ManifestParser, Parsed, Reader
from firstpatch.model import Component, Skipped

if TYPE_CHECKING:
    from cyclonedx.model.bom import Bom
    from cyclonedx.model.component import Component as CdxComponent

_NAMES = ("bom.json", "bom.xml")
_SUFFIXES = (".cdx.json", ".cdx.xml")
_XML_NAMESPACE = re.compile(r"^\{http://cyclonedx\.org/schema/bom/(\d+\.\d+)\}bom$")
_SUPPORTED = ("1.4", "1.5", "1.6")
_JSON_REF = re.compile(r'"bom-ref"\s*:\s*"((?:[^"\\\n]|\\.)*)"')
_XML_REF = re.compile(r"""bom-ref\s*=\s*(?:"([^"]*)"|'([^']*)')""")


class CycloneDxParser(ManifestParser):
    name = "cyclonedx"

    def handles(self, filename: str) -> bool:
        name = PurePosixPath(filename).name
        return name in _NAMES or name.endswith(_SUFFIXES)

    def recognises(self, head: str) -> bool:
        return ('"bomFormat"' in head and '"CycloneDX"' in head) or "cyclonedx.org/schema/bom/" in head

    def parse(self, text: str, path: str, read: Reader | None = None) -> Parsed:
        if text.lstrip().startswith("<"):
            return _xml(text, path)
        return _json(text, path)


def _json(text: str, path: str) -> Parsed:
    data = load_json(text, path)
    if isinstance(data, Skipped):
        return Parsed((), (data,))
    if not isinstance(data, dict) or data.get("bomFormat") != "CycloneDX":
        return Parsed((), (Skipped(path, 'not a CycloneDX SBOM: no "bomFormat": "CycloneDX"', 1),))
    version = str(data.get("specVersion", ""))
    if version not in _SUPPORTED:
        return Parsed(
            (), (Skipped(path, f"CycloneDX {version or '(no specVersion)'} is not read; 1.4–1.6 are", 1),)
        )
    from cyclonedx.model.bom import Bom
    from cyclonedx.validation.json import JsonStrictValidator

    error = JsonStrictValidator(_schema(version)).validate_str(text)
    if error is not None:
        return Parsed((), (Skipped(path, f"not a valid CycloneDX {version} document: {_first_line(error)}"),))
    bom = _deserialise(lambda: Bom.from_json(data), path)  # type: ignore[attr-defined]
    if isinstance(bom, Skipped):
        return Parsed((), (bom,))
    lines = Lines(text)
    refs = {_unescape(m.group(1)): lines.line_of(m.start()) for m in _JSON_REF.finditer(text)}
    return Parsed(_components(bom, path, lines, refs))


def _xml(text: str, path: str) -> Parsed:
    document = load_xml(text, path)
    if isinstance(document, Skipped):
        return Parsed((), (document,))
    match = _XML_NAMESPACE.match(str(document.root.tag))
    if match is None:
        return Parsed((), (Skipped(path, "not a CycloneDX SBOM: the root is not a CycloneDX <bom>", 1),))
    version = match.group(1)
    if version not in _SUPPORTED:
        return Parsed((), (Skipped(path, f"CycloneDX {version} is not read; 1.4–1.6 are", 1),))
    from cyclonedx.model.bom import Bom
    from cyclonedx.validation.xml import XmlValidator

    # Safe to hand on: defusedxml has refused entities and external references in this text.
    error = XmlValidator(_schema(version)).validate_str(text)
    if error is not None:
        return Parsed((), (Skipped(path, f"not a valid CycloneDX {version} document: {_first_line(error)}"),))
    bom = _deserialise(lambda: Bom.from_xml(_root(document)), path)  # type: ignore[attr-defined]
    if isinstance(bom, Skipped):
        return Parsed((), (bom,))
    lines = Lines(text)
    refs = {(m.group(1) or m.group(2) or ""): lines.line_of(m.start()) for m in _XML_REF.finditer(text)}
    return Parsed(_components(bom, path, lines, refs))


def _root(document: XmlDocument) -> Any:
    return document.root


def _deserialise(load: Any, path: str) -> Bom | Skipped:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the library warns about graphs it finds incomplete
            bom = load()
    except Exception as exc:  # noqa: BLE001 — a valid document the library still cannot read
        return Skipped(path, f"CycloneDX document cannot be read: {type(exc).__name__}: {_first_line(exc)}")
    if bom is None:
        return Skipped(path, "CycloneDX document cannot be read: empty")
    return bom  # type: ignore[no-any-return]


def _components(bom: Bom, path: str, lines: Lines, refs: dict[str, int]) -> tuple[Component, ...]:
    subject = bom.metadata.component.bom_ref.value if bom.metadata.component is not None else None
    direct_refs: set[str] | None = None
    for dependency in bom.dependencies:
        if subject is not None and dependency.ref.value == subject:
            direct_refs = {d.ref.value for d in dependency.dependencies if d.ref.value}
    found: list[Component] = []
    for cdx in _all(bom.components):
        if cdx.purl is None:
            continue
        ref = cdx.bom_ref.value or ""
        location = lines.location(path, refs.get(ref, 0))
        direct = direct_refs is None or ref in direct_refs
        dev = cdx.scope is not None and cdx.scope.value in ("optional", "excluded")
        component = from_purl(cdx.purl.to_string(), location, direct=direct, dev=dev)
        if component is not None:
            found.append(component)
    return tuple(found)


def _all(components: Any) -> list[CdxComponent]:
    """Every component, nested ones included, without recursion."""
    out: list[CdxComponent] = []
    stack = list(components)
    while stack:
        component = stack.pop()
        out.append(component)
        stack.extend(component.components)
    return out


def _schema(version: str) -> Any:
    from cyclonedx.schema import SchemaVersion

    return SchemaVersion.from_version(version)


def _first_line(value: object) -> str:
    text = str(value).strip()
    return text.splitlines()[0][:300] if text else type(value).__name__


def _unescape(raw: str) -> str:
    return str(json.loads(f'"{raw}"')) if "\\" in raw else raw
