"""Strings built from literals and values: taken apart, and written back as literals.

SQL, shell commands and HTML are all built the same few ways — `+`, `%`, `.format`, f-strings
and `"".join([...])` of a list written out — so the fixers share one reading of them: a
sequence of literal `Text` (the characters the program produces, escapes already resolved)
and `Value`s (the expressions pasted in). The value nodes are the original CST nodes, so a
fixer can rewrite them in place.
"""

from __future__ import annotations

import re
import string
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import libcst as cst

from firstpatch.patch._source import SourceFile

# A printf-style conversion: %(key)flags width .precision length type
_PRINTF = re.compile(
    r"%(?:\((?P<key>[^)]*)\))?(?P<flags>[#0\- +]*)(?P<width>\*|\d+)?(?:\.(?P<precision>\*|\d+))?"
    r"[hlL]?(?P<type>[diouxXeEfFgGcrsa%])"
)
_QUOTES: dict[str, Literal['"', "'", '"""', "'''"]] = {q: q for q in ('"', "'", '"""', "'''")}
# Format specs whose output is a number: it cannot carry markup or shell syntax.
NUMERIC_SPEC = re.compile(r"^[^{}]*[bcdeEfFgGnoxX%]$")


@dataclass(frozen=True, slots=True)
class Text:
    value: str


@dataclass(frozen=True, slots=True)
class Value:
    expression: cst.BaseExpression
    # True when the building code turned the value into text itself (f-string, %, format);
    # False for `+`, where the value must already have been a string.
    converted: bool
    conversion: str | None = None  # "r", "s" or "a" (f-string `!r`, `%r`)
    spec: str = ""  # a format spec or printf conversion beyond a plain `%s` / `{}`


Part = Text | Value


@dataclass(frozen=True, slots=True)
class Built:
    """A string-building expression taken apart."""

    node: cst.BaseExpression
    parts: tuple[Part, ...]
    quote: str  # quote of the first literal: ' " ''' or \"\"\"

    @property
    def values(self) -> tuple[Value, ...]:
        return tuple(part for part in self.parts if isinstance(part, Value))


def decompose(node: cst.BaseExpression) -> Built | None:
    """`node` as literal text and values, when it builds a string from at least one literal
    and at least one value; None for anything else (including bytes and plain literals)."""
    parts = _parts(node)
    if parts is None or not any(isinstance(part, Value) for part in parts):
        return None
    if not any(isinstance(part, Text) for part in parts):
        return None
    quote = _first_quote(node)
    return Built(node, _merge(parts), quote or '"')


def _parts(node: cst.BaseExpression) -> list[Part] | None:
    if isinstance(node, cst.SimpleString | cst.ConcatenatedString | cst.FormattedString):
        return _literal(node)
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Add):
        left, right = _operand(node.left), _operand(node.right)
        if left is None or right is None:
            return None
        if not any(isinstance(part, Text) for part in (*left, *right)) and not _is_stringish(node):
            return None
        return [*left, *right]
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Modulo):
        return _percent(node)
    if isinstance(node, cst.Call):
        return _format_call(node) if _is_format(node) else _join_call(node)
    return None


def _is_format(node: cst.Call) -> bool:
    return isinstance(node.func, cst.Attribute) and node.func.attr.value == "format"


def _join_call(node: cst.Call) -> list[Part] | None:
    """`"".join(["a", x, "b"])`: a literal separator joining a list or tuple written out."""
    func = node.func
    if not (isinstance(func, cst.Attribute) and func.attr.value == "join"):
        return None
    separator = _literal(func.value) if isinstance(func.value, cst.SimpleString) else None
    items = node.args[0].value if len(node.args) == 1 and node.args[0].keyword is None else None
    if separator is None or not isinstance(items, cst.List | cst.Tuple) or node.args[0].star:
        return None
    parts: list[Part] = []
    for index, element in enumerate(items.elements):
        if isinstance(element, cst.StarredElement):
            return None
        if index:
            parts.extend(separator)
        literal = _literal(element.value) if isinstance(element.value, cst.SimpleString) else None
        parts.extend(literal if literal is not None else [Value(element.value, converted=False)])
    return parts


def _operand(node: cst.BaseExpression) -> list[Part] | None:
    """One side of `+`: a literal or a nested concatenation is taken apart, anything else is a value."""
    if isinstance(node, cst.SimpleString | cst.ConcatenatedString | cst.FormattedString):
        return _literal(node)
    nested = _parts(node) if isinstance(node, cst.BinaryOperation | cst.Call) else None
    if nested is not None:
        return nested
    return [Value(node, converted=False)]


def _is_stringish(node: cst.BaseExpression) -> bool:
    while isinstance(node, cst.BinaryOperation):
        node = node.left
    return isinstance(node, cst.SimpleString | cst.ConcatenatedString | cst.FormattedString)


def _literal(node: cst.BaseExpression) -> list[Part] | None:
    if isinstance(node, cst.SimpleString):
        value = node.evaluated_value
        return [Text(value)] if isinstance(value, str) else None
    if isinstance(node, cst.ConcatenatedString):
        left, right = _literal(node.left), _literal(node.right)
        return None if left is None or right is None else [*left, *right]
    if isinstance(node, cst.FormattedString):
        return _fstring(node)
    return None


def _fstring(node: cst.FormattedString) -> list[Part] | None:
    prefix = node.prefix.lower().replace("f", "")
    quote = node.end
    parts: list[Part] = []
    for part in node.parts:
        if isinstance(part, cst.FormattedStringText):
            text = _unescape(prefix, quote, part.value.replace("{{", "{").replace("}}", "}"))
            if text is None:
                return None
            parts.append(Text(text))
        elif isinstance(part, cst.FormattedStringExpression):
            if part.equal is not None:
                return None  # f"{x=}" pastes source text too
            spec = "".join(_spec_text(piece) for piece in part.format_spec or ())
            parts.append(Value(part.expression, converted=True, conversion=part.conversion, spec=spec))
        else:
            return None
    return parts


def _spec_text(piece: cst.BaseFormattedStringContent) -> str:
    if isinstance(piece, cst.FormattedStringText):
        return piece.value
    return "{?}"  # a nested replacement field: never a spec a fixer can reason about


def _unescape(prefix: str, quote: str, text: str) -> str | None:
    """The characters an f-string's literal part stands for (backslash escapes resolved)."""
    if "\\" not in text:
        return text
    try:
        value = cst.SimpleString(f"{prefix}{quote}{text}{quote}").evaluated_value
    except (SyntaxError, ValueError):
        return None
    return value if isinstance(value, str) else None


def _percent(node: cst.BinaryOperation) -> list[Part] | None:
    template = _literal(node.left)
    if template is None or any(isinstance(part, Value) for part in template):
        return None
    text = "".join(part.value for part in template if isinstance(part, Text))
    right = node.right
    conversions = [match for match in _PRINTF.finditer(text) if match["type"] != "%"]
    keyed = [match["key"] is not None for match in conversions]
    if any(keyed) and not all(keyed):
        return None
    if all(keyed) and conversions:
        if not isinstance(right, cst.Dict):
            return None
        by_key = _dict_items(right)
        if by_key is None:
            return None
        values = [by_key.get(match["key"]) for match in conversions]
    elif isinstance(right, cst.Tuple):
        values = [
            None if isinstance(element, cst.StarredElement) else element.value for element in right.elements
        ]
    elif len(conversions) == 1:
        values = [right]  # `"%s" % x` with one conversion: x itself is the value
    else:
        return None
    if len(values) != len(conversions) or any(value is None for value in values):
        return None
    parts: list[Part] = []
    position, index = 0, 0
    for match in _PRINTF.finditer(text):
        parts.append(Text(text[position : match.start()]))
        position = match.end()
        if match["type"] == "%":
            parts.append(Text("%"))
            continue
        if match["width"] == "*" or match["precision"] == "*":
            return None
        value = values[index]
        index += 1
        assert value is not None  # noqa: S101 -- checked above
        kind = match["type"]
        plain = kind == "s" and not (match["flags"] or match["width"] or match["precision"])
        conversion = kind if kind in "ra" else None
        spec = "" if plain or conversion else match.group(0)[1:].removeprefix(f"({match['key']})")
        parts.append(Value(value, converted=True, conversion=conversion, spec=spec))
    parts.append(Text(text[position:]))
    return parts


def _dict_items(node: cst.Dict) -> dict[str, cst.BaseExpression] | None:
    items: dict[str, cst.BaseExpression] = {}
    for element in node.elements:
        if not isinstance(element, cst.DictElement) or not isinstance(element.key, cst.SimpleString):
            return None
        key = element.key.evaluated_value
        if not isinstance(key, str):
            return None
        items[key] = element.value
    return items


def _format_call(node: cst.Call) -> list[Part] | None:
    """`"...{}...".format(a, b=c)` with plain fields only (no `{0.attr}` or `{x[0]}`)."""
    func = node.func
    if not (isinstance(func, cst.Attribute) and func.attr.value == "format"):
        return None
    literal = isinstance(func.value, cst.SimpleString | cst.ConcatenatedString)
    pieces = _literal(func.value) if literal else None
    template = _merge(pieces) if pieces is not None else ()
    if len(template) != 1 or not isinstance(template[0], Text):
        return None  # an f-string template, or an empty one
    positional = [arg.value for arg in node.args if arg.keyword is None and not arg.star]
    keywords = {arg.keyword.value: arg.value for arg in node.args if arg.keyword is not None}
    if any(arg.star for arg in node.args):
        return None
    parts: list[Part] = []
    automatic = 0
    try:
        fields = list(string.Formatter().parse(template[0].value))
    except ValueError:
        return None
    for before, field, spec, conversion in fields:
        parts.append(Text(before))
        if field is None:
            continue
        if field == "":
            key: int | str = automatic
            automatic += 1
        elif field.isdigit():
            key = int(field)
        elif field.isidentifier():
            key = field
        else:
            return None
        if isinstance(key, int):
            if key >= len(positional):
                return None
            value = positional[key]
        elif key in keywords:
            value = keywords[key]
        else:
            return None
        parts.append(Value(value, converted=True, conversion=conversion, spec=spec or ""))
    return parts


def _merge(parts: Sequence[Part]) -> tuple[Part, ...]:
    merged: list[Part] = []
    for part in parts:
        if isinstance(part, Text):
            if not part.value:
                continue
            if merged and isinstance(merged[-1], Text):
                merged[-1] = Text(merged[-1].value + part.value)
                continue
        merged.append(part)
    return tuple(merged)


def _first_quote(node: cst.CSTNode) -> str | None:
    if isinstance(node, cst.SimpleString):
        return node.quote
    if isinstance(node, cst.FormattedString):
        return node.end
    for child in node.children:
        quote = _first_quote(child)
        if quote is not None:
            return quote
    return None


# -- writing literals back ---------------------------------------------------------------------


def string_literal(text: str, quote: str = '"') -> cst.SimpleString:
    """A plain string literal for `text`, in the original's quote style where it fits."""
    chosen = _choose_quote(text, quote)
    return cst.SimpleString(chosen + _escape(text, chosen) + chosen)


def fstring(parts: Sequence[Part], quote: str = '"') -> cst.BaseExpression | None:
    """An f-string producing `parts`; None when a value cannot be put in one (on Python 3.11:
    a backslash, or both quote characters, inside the expression)."""
    if not any(isinstance(part, Value) for part in parts):
        return string_literal("".join(part.value for part in parts if isinstance(part, Text)), quote)
    text = "".join(part.value for part in parts if isinstance(part, Text))
    codes = [cst.Module([]).code_for_node(part.expression) for part in parts if isinstance(part, Value)]
    chosen = _choose_quote(text + "".join(codes), quote)
    if any("\\" in code or chosen[0] in code for code in codes):
        return None
    pieces: list[cst.BaseFormattedStringContent] = []
    for part in parts:
        if isinstance(part, Text):
            escaped = _escape(part.value, chosen).replace("{", "{{").replace("}", "}}")
            pieces.append(cst.FormattedStringText(escaped))
        else:
            if part.conversion is not None or part.spec:
                return None
            pieces.append(cst.FormattedStringExpression(part.expression))
    return cst.FormattedString(pieces, start=f"f{chosen}", end=_QUOTES[chosen])


def _choose_quote(text: str, preferred: str) -> str:
    if len(preferred) == 3:
        return preferred if "\n" in text and preferred not in text else preferred[0]
    other = "'" if preferred == '"' else '"'
    if preferred in text and other not in text:
        return other
    return preferred


def _escape(text: str, quote: str) -> str:
    out: list[str] = []
    for char in text:
        if char == "\\":
            out.append("\\\\")
        elif char == quote[0] and len(quote) == 1:
            out.append("\\" + char)
        elif char == "\n" and len(quote) == 3:
            out.append(char)
        elif char in "\n\r\t":
            out.append({"\n": "\\n", "\r": "\\r", "\t": "\\t"}[char])
        elif not char.isprintable():
            out.append(char.encode("unicode_escape").decode("ascii"))
        else:
            out.append(char)
    if len(quote) == 3 and out and out[-1] == quote[0]:
        out[-1] = "\\" + quote[0]  # a quote just before the closing triple quote
    return "".join(out)


# -- what is already text -------------------------------------------------------------------------

# Calls whose result is always a str.
_TEXT_CALLS = frozenset(
    {
        "builtins.str",
        "builtins.repr",
        "builtins.format",
        "shlex.quote",
        "shlex.join",
        "pipes.quote",
        "os.path.join",
        "os.path.basename",
        "os.path.dirname",
        "os.path.abspath",
        "os.path.realpath",
        "os.path.normpath",
        "os.fspath",
        "html.escape",
        "werkzeug.utils.secure_filename",
    }
)
_TEXT_METHODS = frozenset(
    {"strip", "lstrip", "rstrip", "lower", "upper", "title", "casefold", "format", "join", "replace"}
)
# Request mappings whose values are str: `.get(key, "default")` and `[key]` give text.
_TEXT_MAPPINGS = (
    "flask.request.args",
    "flask.request.form",
    "flask.request.values",
    "flask.request.headers",
    "flask.request.cookies",
)


def is_text(source: SourceFile, node: cst.BaseExpression, depth: int = 0) -> bool:
    """True when `node` certainly evaluates to a str, so it needs no `str()` around it where
    a str is required (an argument list, `shlex.quote`). False means "not known"."""
    if depth > 4:
        return False
    if isinstance(node, cst.SimpleString | cst.ConcatenatedString | cst.FormattedString):
        return "b" not in _prefix(node).lower()
    if isinstance(node, cst.BinaryOperation):
        return (isinstance(node.operator, cst.Add) and _is_stringish(node)) or (
            isinstance(node.operator, cst.Modulo) and _is_stringish(node.left)
        )
    if isinstance(node, cst.Subscript):
        return bool(source.qualified_names(node.value) & set(_TEXT_MAPPINGS))
    if isinstance(node, cst.Call):
        names = source.qualified_names(node.func)
        if names & _TEXT_CALLS:
            return True
        if isinstance(node.func, cst.Attribute) and node.func.attr.value == "get" and len(node.args) == 2:
            default = node.args[1].value
            owner = source.qualified_names(node.func.value)
            return bool(owner & set(_TEXT_MAPPINGS)) and is_text(source, default, depth + 1)
        return isinstance(node.func, cst.Attribute) and node.func.attr.value in _TEXT_METHODS
    if isinstance(node, cst.Name):
        param = source.parameter(node)
        if param is not None:
            annotation = param.annotation.annotation if param.annotation is not None else None
            return isinstance(annotation, cst.Name) and annotation.value == "str"
        assign = source.single_assignment(node)
        return assign is not None and is_text(source, assign.value, depth + 1)
    return False


def _prefix(node: cst.BaseExpression) -> str:
    if isinstance(node, cst.SimpleString | cst.FormattedString):
        return node.prefix
    if isinstance(node, cst.ConcatenatedString):
        return _prefix(node.left)
    return ""
