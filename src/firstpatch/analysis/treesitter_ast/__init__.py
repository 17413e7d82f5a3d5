"""Convert a tree-sitter-python syntax tree into stdlib `ast` nodes.

The analysis engine is written against `ast`; tree-sitter lets a 3.11 host read code written for
newer Pythons. Syntax the host's `ast` has no node for is mapped to the nearest one it has:

- PEP 695 type parameters (`def f[T]`, `class C[T]`) are dropped before 3.12;
- `type X = v` (3.12) becomes `X = v` before 3.12;
- t-strings (3.14) become `JoinedStr`/`FormattedValue`;
- `except A, B:` (3.14, PEP 758) becomes `except (A, B):`.

Layers, each a class extending the one before: `base` → `strings` → `expressions` → `patterns` →
`statements` (simple) → `compound` (the complete `Converter`).
"""

from __future__ import annotations

import ast

from tree_sitter import Node

from firstpatch.analysis.treesitter_ast.base import Unsupported
from firstpatch.analysis.treesitter_ast.compound import Converter

__all__ = ["Unsupported", "convert_module", "first_error"]


def convert_module(root: Node, source: bytes) -> ast.Module:
    """`source` must be the exact bytes tree-sitter parsed, with newlines normalised to `\\n`.

    Raises `Unsupported` for syntax no Python 3 accepts and `RecursionError` for absurd nesting.
    """
    return Converter(source).module(root)


def first_error(root: Node) -> tuple[int, str] | None:
    """The line and a description of the first ERROR or MISSING node, or None for a clean tree."""
    if not root.has_error:
        return None
    node = root
    # Descend towards the first fault without recursion: the tree may be very deep.
    while True:
        if node.is_missing:
            return node.start_point[0] + 1, f"invalid syntax: missing {node.type!r}"
        if node.is_error:
            # An ERROR node often starts at well-formed statements that recovery swallowed; the
            # first piece that is not one is closer to the mistake.
            child = next((c for c in node.children if not _complete(c)), None)
            if child is None or not (child.has_error or child.is_missing):
                return (child or node).start_point[0] + 1, "invalid syntax"
        else:
            child = next((c for c in node.children if c.has_error or c.is_missing), None)
            if child is None:
                return node.start_point[0] + 1, "invalid syntax"
        node = child


def _complete(node: Node) -> bool:
    return node.is_named and not node.has_error and node.type.endswith(("statement", "definition"))
