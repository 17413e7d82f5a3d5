"""Shared machinery for turning a tree-sitter-python tree into stdlib `ast` nodes.

tree-sitter points are (0-based row, byte column); `ast` wants 1-based lines and 0-based UTF-8 byte
columns, so a node's location is its point plus one line. The source handed to tree-sitter must have
its newlines normalised to `\\n` first, as CPython's tokenizer does, or rows would disagree.
"""

from __future__ import annotations

import ast
import unicodedata
from typing import Protocol, TypeVar

from tree_sitter import Node

LOAD = ast.Load()
STORE = ast.Store()
DEL = ast.Del()


class Unsupported(Exception):
    """The tree holds syntax that no Python from 3.8 to 3.14 accepts, or that has no `ast` form."""

    def __init__(self, node: Node, message: str) -> None:
        super().__init__(message)
        self.message = message
        self.line = node.start_point[0] + 1


class _Located(Protocol):
    """Any `ast` node with a location: expressions, statements, args, keywords, aliases, patterns."""

    @property
    def lineno(self) -> int: ...
    @lineno.setter
    def lineno(self, value: int) -> None: ...
    @property
    def col_offset(self) -> int: ...
    @col_offset.setter
    def col_offset(self, value: int) -> None: ...
    @property
    def end_lineno(self) -> int | None: ...
    @end_lineno.setter
    def end_lineno(self, value: int) -> None: ...
    @property
    def end_col_offset(self) -> int | None: ...
    @end_col_offset.setter
    def end_col_offset(self, value: int) -> None: ...


LocatedT = TypeVar("LocatedT", bound=_Located)


def located(new: LocatedT, node: Node) -> LocatedT:
    """Give `new` the extent of `node`."""
    start_row, start_col = node.start_point
    end_row, end_col = node.end_point
    new.lineno = start_row + 1
    new.col_offset = start_col
    new.end_lineno = end_row + 1
    new.end_col_offset = end_col
    return new


def spanning(new: LocatedT, first: Node, last: Node) -> LocatedT:
    """Give `new` the extent from the start of `first` to the end of `last`."""
    start_row, start_col = first.start_point
    end_row, end_col = last.end_point
    new.lineno = start_row + 1
    new.col_offset = start_col
    new.end_lineno = end_row + 1
    new.end_col_offset = end_col
    return new


def ending_with(new: LocatedT, first: Node, last: _Located) -> LocatedT:
    """Give `new` the extent from `first` to the end of an already converted node.

    Compound statements end where their last body statement ends, which can be before the end of
    the tree-sitter node (trailing comments belong to the block there).
    """
    start_row, start_col = first.start_point
    new.lineno = start_row + 1
    new.col_offset = start_col
    new.end_lineno = last.end_lineno if last.end_lineno is not None else start_row + 1
    new.end_col_offset = last.end_col_offset if last.end_col_offset is not None else start_col
    return new


def set_context(target: ast.expr, ctx: ast.expr_context, node: Node) -> ast.expr:
    """Mark an assignment or `del` target, as CPython's parser does, refusing what cannot be one."""
    if isinstance(target, ast.Name | ast.Attribute | ast.Subscript):
        target.ctx = ctx
    elif isinstance(target, ast.Tuple | ast.List):
        target.ctx = ctx
        for element in target.elts:
            set_context(element, ctx, node)
    elif isinstance(target, ast.Starred):
        target.ctx = ctx
        set_context(target.value, ctx, node)
    else:
        raise Unsupported(node, f"cannot assign to {type(target).__name__}")
    return target


class Base:
    """Source access and child filtering; the subclasses add one part of the grammar each."""

    def __init__(self, source: bytes) -> None:
        self.source = source

    def text(self, node: Node) -> str:
        return self.source[node.start_byte : node.end_byte].decode("utf-8")

    def identifier(self, node: Node) -> str:
        name = self.source[node.start_byte : node.end_byte].decode("utf-8")
        # CPython folds non-ASCII identifiers to NFKC (PEP 3131).
        return name if name.isascii() else unicodedata.normalize("NFKC", name)

    @staticmethod
    def parts(node: Node) -> list[Node]:
        """Children, named or not, without comments and line continuations (which can sit anywhere)."""
        return [child for child in node.children if not child.is_extra]

    @staticmethod
    def named(node: Node) -> list[Node]:
        return [child for child in node.named_children if not child.is_extra]

    @staticmethod
    def has_token(node: Node, token: str) -> bool:
        return any(child.type == token and not child.is_named for child in node.children)

    # Implemented by the expression layer; declared here so every layer can convert sub-expressions.
    def expr(self, node: Node) -> ast.expr:
        raise NotImplementedError

    def store(self, node: Node) -> ast.expr:
        return set_context(self.expr(node), STORE, node)
