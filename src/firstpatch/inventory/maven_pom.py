"""pom.xml: the dependencies a Maven project declares (Maven resolves the rest at build time).

Versions may be written as `${property}`: resolved from `<properties>`, the `project.*` values
and, through `<parent>`'s `relativePath` (by default `../pom.xml`), the parent's properties, read
through the `Reader`. A dependency without a version takes it from `<dependencyManagement>` here
or in a parent. A version range (`[1.0,2.0)`) names no single version; a property defined nowhere
in reach leaves the dependency without a version too, with a problem naming the line. `test`
scope is development; `import`-scoped BOMs in dependency management are not dependencies.
Parsed by defusedxml: no entities, no DTDs that reach out.
"""

from __future__ import annotations

import posixpath
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from firstpatch.inventory._lines import Lines
from firstpatch.inventory._load import XmlDocument, load_xml
from firstpatch.inventory._purl import component
from firstpatch.inventory.interface import ManifestParser, Parsed, Reader
from firstpatch.model import Component, Ecosystem, Skipped

_PROPERTY = re.compile(r"\$\{([^}]+)\}")
_MAX_PARENTS = 10
_DEV_SCOPES = frozenset({"test"})


@dataclass
class _Pom:
    """What a pom and its parents say that versions are resolved from."""

    properties: dict[str, str] = field(default_factory=dict)
    managed: dict[str, str] = field(default_factory=dict)  # group:artifact -> version


class MavenPomParser(ManifestParser):
    name = "pom.xml"

    def handles(self, filename: str) -> bool:
        return PurePosixPath(filename).name == "pom.xml"

    def parse(self, text: str, path: str, read: Reader | None = None) -> Parsed:
        document = load_xml(text, path)
        if isinstance(document, Skipped):
            return Parsed((), (document,))
        root = document.root
        if _local(root.tag) != "project":
            return Parsed(
                (), (Skipped(path, f"not a Maven POM: the root element is <{_local(root.tag)}>", 1),)
            )
        context = _context(document, path, read)
        lines = Lines(text)
        components: list[Component] = []
        problems: list[Skipped] = []
        for dependency in _children(_child(root, "dependencies"), "dependency"):
            line = document.line(dependency)
            group = _resolve(_text(dependency, "groupId"), context)
            artifact = _resolve(_text(dependency, "artifactId"), context)
            if not group or not artifact or "${" in group + artifact:
                problems.append(
                    Skipped(path, "a dependency without a resolvable groupId and artifactId", line)
                )
                continue
            name = f"{group}:{artifact}"
            written = _text(dependency, "version") or context.managed.get(name)
            version = _resolve(written, context) if written else None
            if written is None:
                problems.append(Skipped(path, f"{name}: no version here or in dependencyManagement", line))
            elif version is None or "${" in version:
                problems.append(
                    Skipped(path, f"{name}: version {written} refers to an undefined property", line)
                )
                version = None
            elif version.startswith(("[", "(")):
                version = None  # a range: Maven picks the version at build time
            scope = _text(dependency, "scope") or "compile"
            location = lines.location(path, line)
            components.append(component(Ecosystem.MAVEN, name, version, location, dev=scope in _DEV_SCOPES))
        return Parsed(tuple(components), tuple(problems))


def _context(document: XmlDocument, path: str, read: Reader | None) -> _Pom:
    """Properties and managed versions of this pom, over those of its parents."""
    chain = [document.root]
    current, current_path = document.root, path
    for _ in range(_MAX_PARENTS):
        parent = _child(current, "parent")
        if parent is None or read is None:
            break
        relative = _text(parent, "relativePath")
        relative = "../pom.xml" if relative is None else relative
        if not relative:
            break  # an empty relativePath: the parent comes from a repository, not this tree
        if not relative.endswith(".xml"):
            relative = posixpath.join(relative, "pom.xml")
        parent_path = posixpath.normpath(posixpath.join(posixpath.dirname(current_path), relative))
        text = read(parent_path)
        loaded = load_xml(text, parent_path) if text is not None else None
        if not isinstance(loaded, XmlDocument):
            break
        chain.append(loaded.root)
        current, current_path = loaded.root, parent_path
    pom = _Pom()
    for project in reversed(chain):  # the child's values win
        for prop in list(_child(project, "properties") or ()):
            pom.properties[_local(prop.tag)] = (prop.text or "").strip()
        for key in ("groupId", "artifactId", "version"):
            value = _text(project, key) or _text(_child(project, "parent"), key)
            if value:
                pom.properties[f"project.{key}"] = pom.properties[f"pom.{key}"] = value
        parent_version = _text(_child(project, "parent"), "version")
        if parent_version:
            pom.properties["project.parent.version"] = parent_version
        managed = _child(_child(project, "dependencyManagement"), "dependencies")
        for dependency in _children(managed, "dependency"):
            if _text(dependency, "scope") == "import":
                continue
            group, artifact, version = (_text(dependency, k) for k in ("groupId", "artifactId", "version"))
            if group and artifact and version:
                pom.managed[f"{_resolve(group, pom)}:{_resolve(artifact, pom)}"] = version
    pom.properties.setdefault("version", pom.properties.get("project.version", ""))
    return pom


def _resolve(value: str | None, pom: _Pom) -> str | None:
    """`${name}` replaced from the properties, repeatedly (properties may refer to properties)."""
    if value is None:
        return None
    for _ in range(10):
        replaced = _PROPERTY.sub(lambda m: pom.properties.get(m.group(1), m.group(0)), value)
        if replaced == value:
            break
        value = replaced
    return value.strip()


def _local(tag: object) -> str:
    return str(tag).rsplit("}", 1)[-1]


def _child(element: ET.Element | None, name: str) -> ET.Element | None:
    if element is None:
        return None
    return next((child for child in element if _local(child.tag) == name), None)


def _children(element: ET.Element | None, name: str) -> list[ET.Element]:
    return [child for child in element if _local(child.tag) == name] if element is not None else []


def _text(element: ET.Element | None, name: str) -> str | None:
    child = _child(element, name)
    text = (child.text or "").strip() if child is not None else ""
    return text or None
