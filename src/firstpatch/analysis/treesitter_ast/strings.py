"""String, bytes, f-string and t-string literals.

Positions follow the host's `ast`. Up to Python 3.11 every literal part, `FormattedValue` and format
spec of an f-string carries the extent of the whole (possibly implicitly concatenated) string, while
the expressions inside replacement fields carry their own; 3.12+ gives each part its own extent.

t-strings (3.14) become `JoinedStr`/`FormattedValue`, the nearest nodes older hosts have.
"""

from __future__ import annotations

import ast
import re
import sys
import unicodedata
from typing import NamedTuple

from tree_sitter import Node

from firstpatch.analysis.treesitter_ast.base import LOAD, Base, Unsupported, located

# Since 3.12 the parts of an f-string carry their own positions (PEP 701).
_PARTS_HAVE_OWN_POSITIONS = sys.version_info >= (3, 12)


def _spec_ends_with_empty_text() -> bool:
    """Early 3.12 releases end a format spec that ends in a field with an empty Constant."""
    field = ast.parse('f"{x:{w}}"').body[0].value.values[0]  # type: ignore[attr-defined]
    return isinstance(field.format_spec.values[-1], ast.Constant)


_SPEC_TRAILING_EMPTY_TEXT = _spec_ends_with_empty_text()

_VALID_PREFIXES = frozenset({"", "r", "u", "b", "br", "rb", "f", "fr", "rf", "t", "tr", "rt"})

_SIMPLE_ESCAPES = {
    "\n": "",
    "\\": "\\",
    "'": "'",
    '"': '"',
    "a": "\a",
    "b": "\b",
    "f": "\f",
    "n": "\n",
    "r": "\r",
    "t": "\t",
    "v": "\v",
}
_ESCAPE = re.compile(
    r"\\([0-7]{1,3}|x[0-9A-Fa-f]{2}|u[0-9A-Fa-f]{4}|U[0-9A-Fa-f]{8}|N\{[^}\n]*\}|.)", re.DOTALL
)
# In f-string literal parts doubled braces stand for one brace.
_FSTRING_ESCAPE = re.compile(
    r"\\([0-7]{1,3}|x[0-9A-Fa-f]{2}|u[0-9A-Fa-f]{4}|U[0-9A-Fa-f]{8}|N\{[^}\n]*\}|.)|\{\{|\}\}", re.DOTALL
)
_BRACES = re.compile(r"\{\{|\}\}")
_TRIPLE_QUOTES = (b"'''", b'"""')


class _BadEscape(Exception):
    pass


def _str_escape(match: re.Match[str]) -> str:
    escape = match.group(1)
    if escape is None:  # a doubled brace
        return match.group(0)[0]
    head = escape[0]
    if len(escape) == 1:
        if head in _SIMPLE_ESCAPES:
            return _SIMPLE_ESCAPES[head]
        if head in "01234567":
            return chr(int(escape, 8))
        if head in "xuUN":
            raise _BadEscape(f"truncated \\{head} escape")
        return "\\" + escape  # unknown escapes keep their backslash
    if head in "xuU":
        code = int(escape[1:], 16)
        if code > sys.maxunicode:
            raise _BadEscape("illegal Unicode character")
        return chr(code)
    if head == "N":
        try:
            return unicodedata.lookup(escape[2:-1])
        except KeyError:
            raise _BadEscape("unknown Unicode character name") from None
    return chr(int(escape, 8))


def _bytes_escape(match: re.Match[str]) -> str:
    """Like `_str_escape`, producing code points below 256 to be encoded as Latin-1."""
    escape = match.group(1)
    head = escape[0]
    if head in "uUN":  # not escapes in bytes
        return "\\" + escape
    if head == "x" and len(escape) == 3:
        return chr(int(escape[1:], 16))
    if head in "01234567":
        return chr(int(escape, 8) & 0xFF)
    return _str_escape(match)


def decode_str(body: str, *, raw: bool, fstring: bool) -> str:
    if raw:
        return (
            _BRACES.sub(lambda m: m.group(0)[0], body) if fstring and ("{" in body or "}" in body) else body
        )
    if fstring:
        return (
            _FSTRING_ESCAPE.sub(_str_escape, body) if ("\\" in body or "{" in body or "}" in body) else body
        )
    return _ESCAPE.sub(_str_escape, body) if "\\" in body else body


Point = tuple[int, int]  # tree-sitter's (row, byte column)


class _Piece(NamedTuple):
    """One string of an implicit concatenation, and whether it is raw."""

    node: Node
    raw: bool


class _Parts:
    """Collects the values of one `JoinedStr`, merging adjacent literal text as CPython does.

    Before 3.12, literal text flushed by a following replacement field carries `extent` (the whole
    string expression) while the text left at the end carries `final_extent`: the same for the
    top level, but only the current piece of a concatenation inside a format spec. From 3.12 on,
    merged text spans from the start of its first part to the end of its last.
    """

    def __init__(self, extent: Node, final_extent: Node) -> None:
        self.extent = extent
        self.final_extent = final_extent
        self.values: list[ast.expr] = []
        self.pending: list[str] = []
        self.start: Point = (0, 0)
        self.end: Point = (0, 0)
        self.kind: str | None = None

    def literal(self, text: str, start: Point, end: Point, kind: str | None = None) -> None:
        if not text:
            return
        if not self.pending:
            self.start = start
            self.kind = kind  # `u"a" f"{x}"`: the run takes the kind of its first part
        self.pending.append(text)
        self.end = end

    def value(self, value: ast.expr) -> None:
        self._flush(self.extent)
        self.values.append(value)

    def finish(self) -> list[ast.expr]:
        self._flush(self.final_extent)
        return self.values

    def _flush(self, extent: Node) -> None:
        if self.pending:
            constant = ast.Constant(value="".join(self.pending), kind=self.kind)
            if _PARTS_HAVE_OWN_POSITIONS:
                constant.lineno, constant.col_offset = self.start[0] + 1, self.start[1]
                constant.end_lineno, constant.end_col_offset = self.end[0] + 1, self.end[1]
            else:
                located(constant, extent)
            self.values.append(constant)
        self.pending = []


class Strings(Base):
    def string(self, node: Node) -> ast.expr:
        """A `string` or a `concatenated_string` node."""
        pieces = [node] if node.type == "string" else [c for c in node.named_children if c.type == "string"]
        prefixes = [self._prefix(piece) for piece in pieces]
        kinds = {"b" in prefix for prefix in prefixes}
        if len(kinds) > 1:
            raise Unsupported(node, "cannot mix bytes and nonbytes literals")
        if not any("f" in prefix or "t" in prefix for prefix in prefixes):
            if True in kinds:
                data = b"".join(
                    self._bytes_body(piece, prefix) for piece, prefix in zip(pieces, prefixes, strict=True)
                )
                return located(ast.Constant(value=data, kind=None), node)
            text = "".join(
                self._str_body(piece, prefix) for piece, prefix in zip(pieces, prefixes, strict=True)
            )
            kind = "u" if "u" in prefixes[0] else None
            return located(ast.Constant(value=text, kind=kind), node)
        parts = _Parts(node, node)
        for piece, prefix in zip(pieces, prefixes, strict=True):
            if "f" in prefix or "t" in prefix:
                self._fstring_pieces(piece, parts, raw="r" in prefix)
            else:
                kind = "u" if "u" in prefix else None
                parts.literal(self._str_body(piece, prefix), piece.start_point, piece.end_point, kind)
        return located(ast.JoinedStr(values=parts.finish()), node)

    def _prefix(self, piece: Node) -> str:
        start = piece.children[0]
        prefix = self.text(start).rstrip("'\"").lower()
        if prefix not in _VALID_PREFIXES:
            raise Unsupported(piece, f"invalid string prefix {prefix!r}")
        return prefix

    def _delimiters(self, piece: Node) -> tuple[Node, int]:
        """The `string_start` node and the byte offset where the closing quote begins.

        The offset comes from the quote length: tree-sitter's `string_end` token can swallow
        backslashes at the end of a raw body.
        """
        children = piece.children
        start = children[0]
        if start.type != "string_start" or children[-1].type != "string_end":
            raise Unsupported(piece, "unterminated string literal")
        triple = self.source[start.start_byte : start.end_byte].endswith(_TRIPLE_QUOTES)
        end = piece.end_byte - (3 if triple else 1)
        if end < start.end_byte:
            raise Unsupported(piece, "unterminated string literal")
        return start, end

    def _string_body(self, piece: Node) -> str:
        start, end = self._delimiters(piece)
        return self.source[start.end_byte : end].decode("utf-8")

    def _str_body(self, piece: Node, prefix: str) -> str:
        try:
            return decode_str(self._string_body(piece), raw="r" in prefix, fstring=False)
        except _BadEscape as exc:
            raise Unsupported(piece, f"(unicode error) {exc}") from None

    def _bytes_body(self, piece: Node, prefix: str) -> bytes:
        body = self._string_body(piece)
        if not body.isascii():
            raise Unsupported(piece, "bytes can only contain ASCII literal characters")
        if "r" in prefix or "\\" not in body:
            return body.encode("ascii")
        try:
            return _ESCAPE.sub(_bytes_escape, body).encode("latin-1")
        except _BadEscape as exc:
            raise Unsupported(piece, f"(value error) {exc}") from None

    def _literal(self, parts: _Parts, span: tuple[Point, Point], start: int, end: int, piece: _Piece) -> None:
        """Literal text between two byte offsets (at the points `span`) of an f-string."""
        if start >= end:
            return
        body = self.source[start:end].decode("utf-8")
        try:
            parts.literal(decode_str(body, raw=piece.raw, fstring=True), *span)
        except _BadEscape as exc:
            raise Unsupported(piece.node, f"(unicode error) {exc}") from None

    def _spec_literal(
        self, parts: _Parts, span: tuple[Point, Point], start: int, end: int, piece: _Piece
    ) -> None:
        """Literal text of a format spec, where doubled braces are not collapsed."""
        if start >= end:
            return
        body = self.source[start:end].decode("utf-8")
        try:
            parts.literal(decode_str(body, raw=piece.raw, fstring=False), *span)
        except _BadEscape as exc:
            raise Unsupported(piece.node, f"(unicode error) {exc}") from None

    def _fstring_pieces(self, piece: Node, parts: _Parts, *, raw: bool) -> None:
        start, end = self._delimiters(piece)
        current = _Piece(piece, raw)
        row, column = piece.end_point
        closing: Point = (row, column - (piece.end_byte - end))
        position, after = start.end_byte, start.end_point
        for child in piece.children:
            if child.type != "interpolation":
                continue
            self._literal(parts, (after, child.start_point), position, child.start_byte, current)
            parts.value(self._formatted_value(child, parts, current))
            position, after = child.end_byte, child.end_point
        self._literal(parts, (after, closing), position, end, current)

    def _formatted_value(self, node: Node, parts: _Parts, piece: _Piece) -> ast.expr:
        """One replacement field: `{expression=!conversion:spec}`."""
        children = self.parts(node)
        expression = node.child_by_field_name("expression")
        if expression is None:
            raise Unsupported(node, "f-string: empty expression not allowed")
        conversion = -1
        spec_node: Node | None = None
        debug: tuple[str, Point, Point] | None = None
        for index, child in enumerate(children):
            kind = child.type
            if kind == "=" and not child.is_named:
                following = children[index + 1] if index + 1 < len(children) else child
                text = self._debug_text(node, children[0].end_byte, following.start_byte)
                debug = (text, children[0].end_point, following.start_point)
            elif kind == "type_conversion":
                letter = self.text(child)[1:]
                if letter not in ("s", "r", "a"):
                    raise Unsupported(child, "f-string: invalid conversion character")
                conversion = ord(letter)
            elif kind == "format_specifier":
                spec_node = child
        spec: ast.expr | None = None
        if expression.type == "named_expression":
            # `{x:=1}` is `x` formatted with the spec "=1", not a walrus; tree-sitter reads the latter.
            value, spec = self._walrus_spec(expression, node, parts, piece.node)
        elif expression.type in ("expression_list", "pattern_list"):
            value = self._field_tuple(expression, children)
        else:
            value = self.expr(expression)
        if debug is not None:
            parts.literal(*debug)
            if spec_node is None and conversion == -1:
                conversion = ord("r")
        if spec_node is not None:
            spec = self._format_spec(spec_node, parts, piece)
        formatted = ast.FormattedValue(value=value, conversion=conversion, format_spec=spec)
        return located(formatted, node if _PARTS_HAVE_OWN_POSITIONS else parts.extent)

    def _debug_text(self, field: Node, start: int, end: int) -> str:
        """The source of a `{expr=}` field, which CPython repeats without its comments (PEP 701)."""
        text = self.source[start:end]
        if b"#" not in text:
            return text.decode("utf-8")
        comments: list[Node] = []
        pending = [field]
        while pending:
            node = pending.pop()
            if node.type == "comment":
                comments.append(node)
            else:
                pending.extend(node.children)
        kept = bytearray()
        position = start
        for comment in sorted(comments, key=lambda c: c.start_byte):
            if start <= comment.start_byte and comment.end_byte <= end:
                kept += self.source[position : comment.start_byte]
                position = comment.end_byte
        kept += self.source[position:end]
        return kept.decode("utf-8")

    def _field_tuple(self, expression: Node, children: list[Node]) -> ast.expr:
        """An unparenthesised tuple in a replacement field.

        Before 3.12 CPython parsed the field as `(...)` with the parentheses put where the braces
        are, so the tuple spans from the `{` to just past the character that ends the expression.
        """
        elements = [self.expr(child) for child in self.named(expression)]
        result = ast.Tuple(elts=elements, ctx=LOAD)
        if _PARTS_HAVE_OWN_POSITIONS:
            return located(result, expression)
        index = next(i for i, child in enumerate(children) if child == expression)
        terminator = children[index + 1] if index + 1 < len(children) else expression
        located(result, children[0])
        result.end_lineno = terminator.start_point[0] + 1
        result.end_col_offset = terminator.start_point[1] + 1
        return result

    def _walrus_spec(
        self, expression: Node, field: Node, parts: _Parts, piece: Node
    ) -> tuple[ast.expr, ast.expr]:
        name = expression.child_by_field_name("name")
        operator = next((c for c in expression.children if c.type == ":="), None)
        closing = field.children[-1]
        if name is None or operator is None:
            raise Unsupported(field, "f-string: invalid replacement field")
        text = self.source[operator.start_byte + 1 : closing.start_byte].decode("utf-8")
        if "{" in text or "}" in text:
            raise Unsupported(field, "f-string: nested replacement field after ':=' is not supported")
        colon = operator.start_point
        spec_parts = _Parts(parts.extent, piece)
        spec_parts.literal(text, (colon[0], colon[1] + 1), closing.start_point)
        spec = ast.JoinedStr(values=spec_parts.finish())
        if _PARTS_HAVE_OWN_POSITIONS:
            spec.lineno, spec.col_offset = colon[0] + 1, colon[1]
            spec.end_lineno, spec.end_col_offset = closing.start_point[0] + 1, closing.start_point[1]
        else:
            located(spec, piece)
        return self.expr(name), spec

    def _format_spec(self, node: Node, parts: _Parts, piece: _Piece) -> ast.expr:
        spec_parts = _Parts(parts.extent, piece.node)
        children = self.parts(node)
        position, after = children[0].end_byte, children[0].end_point  # after the ':'
        for child in children[1:]:
            if child.type != "format_expression":
                continue
            self._spec_literal(spec_parts, (after, child.start_point), position, child.start_byte, piece)
            spec_parts.value(self._formatted_value(child, spec_parts, piece))
            position, after = child.end_byte, child.end_point
        self._spec_literal(spec_parts, (after, node.end_point), position, node.end_byte, piece)
        if _SPEC_TRAILING_EMPTY_TEXT and position == node.end_byte and len(children) > 1:
            empty = ast.Constant(value="", kind=None)
            row, column = node.end_point
            empty.lineno, empty.col_offset, empty.end_lineno, empty.end_col_offset = (
                row + 1,
                column,
                row + 1,
                column,
            )
            spec_parts.values.append(empty)
        spec = ast.JoinedStr(values=spec_parts.finish())
        return located(spec, node if _PARTS_HAVE_OWN_POSITIONS else piece.node)
