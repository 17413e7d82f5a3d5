"""Parsing a manifest's syntax safely: one problem naming the file and line instead of an exception.

Each loader returns the document or a `Skipped`. Nesting is capped: JSON's and YAML's parsers
recurse, so a hostile file of a hundred thousand brackets would otherwise end in a crash rather
than in a problem; XML is parsed by defusedxml (no entity expansion, no external resources) with
a depth limit of its own.
"""

from __future__ import annotations

import json
import re
import tomllib
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import Any

import yaml
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser

from firstpatch.model import Skipped

MAX_DEPTH = 200  # deeper than any real manifest; shallow enough for every recursive parser
_TOML_POSITION = re.compile(r"at line (\d+)")
_YamlLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_json(text: str, path: str) -> Any | Skipped:
    """The JSON document in `text`, or the problem that stops it."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        return Skipped(path, f"invalid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})", exc.lineno)
    except RecursionError:
        return Skipped(path, "invalid JSON: nested too deeply to read safely")
    if _too_deep(value):
        return Skipped(path, f"JSON nested deeper than {MAX_DEPTH} levels; not read")
    return value


def load_toml(text: str, path: str) -> dict[str, Any] | Skipped:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        match = _TOML_POSITION.search(str(exc))
        line = int(match.group(1)) if match else max(len(text.splitlines()), 1)  # "at end of document"
        return Skipped(path, f"invalid TOML: {exc}", line)
    except RecursionError:
        return Skipped(path, "invalid TOML: nested too deeply to read safely")


def compose_yaml(text: str, path: str) -> yaml.Node | Skipped | None:
    """The YAML document as a node tree (nodes keep their line); None for an empty document.

    Aliases are refused: lockfiles never use them, and a tree of aliases to aliases is how a
    small file expands into an enormous one.
    """
    try:
        node = yaml.compose(text, Loader=_YamlLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 0
        problem = exc.problem or exc.context or "unreadable"
        return Skipped(path, f"invalid YAML: {problem} (line {line})", line)
    except yaml.YAMLError as exc:
        return Skipped(path, f"invalid YAML: {exc}")
    except RecursionError:
        return Skipped(path, "invalid YAML: nested too deeply to read safely")
    if node is not None and _yaml_has_alias_or_depth(node):
        return Skipped(path, f"YAML with aliases or nested deeper than {MAX_DEPTH} levels; not read")
    return node


@dataclass(frozen=True, slots=True)
class XmlDocument:
    root: ET.Element
    lines: dict[ET.Element, int]  # where each element starts

    def line(self, element: ET.Element) -> int:
        return self.lines.get(element, 0)


class _TooDeepError(Exception):
    pass


class _LineBuilder(ET.TreeBuilder):
    """Builds the tree and records each element's line; refuses nesting past `MAX_DEPTH`."""

    def __init__(self) -> None:
        super().__init__()
        self.parser: DefusedXMLParser | None = None
        self.lines: dict[ET.Element, int] = {}
        self._depth = 0

    def start(self, tag: Any, attrs: dict[Any, Any]) -> ET.Element:
        self._depth += 1
        if self._depth > MAX_DEPTH:
            raise _TooDeepError
        element = super().start(tag, attrs)
        if self.parser is not None:
            self.lines[element] = self.parser.parser.CurrentLineNumber
        return element

    def end(self, tag: Any) -> ET.Element:
        self._depth -= 1
        return super().end(tag)


def load_xml(text: str, path: str) -> XmlDocument | Skipped:
    builder = _LineBuilder()
    parser = DefusedXMLParser(target=builder, forbid_dtd=False, forbid_entities=True, forbid_external=True)
    builder.parser = parser
    try:
        parser.feed(text)
        root = parser.close()
    except ET.ParseError as exc:
        line = exc.position[0] if exc.position else 0
        return Skipped(path, f"invalid XML: {exc}", line)
    except DefusedXmlException as exc:
        what = _REFUSED.get(type(exc).__name__, type(exc).__name__)
        return Skipped(
            path, f"XML refused: {what}; firstpatch does not expand XML entities", _xml_line(parser)
        )
    except _TooDeepError:
        return Skipped(path, f"XML nested deeper than {MAX_DEPTH} levels; not read")
    return XmlDocument(root, builder.lines)


_REFUSED = {
    "EntitiesForbidden": "the document declares an entity",
    "DTDForbidden": "the document has a DTD",
    "ExternalReferenceForbidden": "the document refers to an external resource",
    "NotSupportedError": "the document uses a feature defusedxml refuses",
}


def _xml_line(parser: DefusedXMLParser) -> int:
    expat = getattr(parser, "parser", None)
    return int(getattr(expat, "CurrentLineNumber", 0))


def _too_deep(value: object) -> bool:
    stack: list[tuple[object, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > MAX_DEPTH:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


def _yaml_has_alias_or_depth(root: yaml.Node) -> bool:
    seen: set[int] = set()
    stack: list[tuple[yaml.Node, int]] = [(root, 1)]
    while stack:
        node, depth = stack.pop()
        if id(node) in seen:
            return True  # the same node reached twice: an alias
        seen.add(id(node))
        if depth > MAX_DEPTH:
            return True
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                stack.extend(((key, depth + 1), (value, depth + 1)))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend((child, depth + 1) for child in node.value)
    return False


def yaml_mapping(node: yaml.Node | None) -> dict[str, yaml.Node]:
    """A mapping node's entries by their scalar keys; {} for anything else."""
    if not isinstance(node, yaml.MappingNode):
        return {}
    return {key.value: value for key, value in node.value if isinstance(key, yaml.ScalarNode)}


def yaml_text(node: yaml.Node | None) -> str | None:
    """A scalar node's text; None for a missing or non-scalar node."""
    return str(node.value) if isinstance(node, yaml.ScalarNode) else None


def yaml_line(node: yaml.Node | None) -> int:
    return node.start_mark.line + 1 if node is not None else 0
