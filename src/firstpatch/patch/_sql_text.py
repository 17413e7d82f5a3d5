"""SQL text taken apart for binding: literal SQL, and slots where pasted values go.

A statement built by pasting (`decompose`) is read token by token as SQL reads it — quoted
strings, quoted identifiers, comments — so that a value inside an SQL string literal becomes one
bound parameter together with the text sharing its quotes, and a value outside quotes is bound
only where sqlglot says SQL expects a value rather than a name.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

from firstpatch.patch._strings import Part, Text, Value

_BINDABLE_SPECS = frozenset({"", "d", "i", "u"})  # %d pastes a number: binding it keeps its meaning


@dataclass(frozen=True, slots=True)
class Slot:
    """One placeholder of the rewritten statement: a value to bind, or an existing one."""

    parts: tuple[Part, ...] = ()  # the pasted value (with text that shared its quotes)
    quoted: bool = False
    existing: bool = False


Piece = str | Slot


def scan(parts: Sequence[Part], existing: str | None) -> list[Piece] | None:
    """The statement as SQL text and slots; None when a value sits where it cannot be bound
    (in a quoted identifier or a comment, or after a string prefix like `N'`).

    `existing` is the driver's placeholder when the call already passes parameters: the
    placeholders already in the text are then slots too, so the old and new values merge."""
    tokens: list[str | Value] = []
    for part in parts:
        tokens.extend(part.value if isinstance(part, Text) else [part])
    pieces: list[Piece] = []
    index = 0
    while index < len(tokens):
        first = tokens[index]
        if isinstance(first, Value):
            pieces.append(Slot((first,)))
            index += 1
            continue
        end = _region_end(tokens, index)
        if end is None:
            return None
        region = tokens[index:end]
        if first == "'" and any(isinstance(item, Value) for item in region):
            previous = tokens[index - 1] if index else " "
            if isinstance(previous, str) and (previous.isalnum() or previous == "_"):
                return None  # N'...', E'...': the prefix would be left without its string
            pieces.append(Slot(_quoted_parts(region[1:-1], percent=existing == "%s"), quoted=True))
        elif any(isinstance(item, Value) for item in region):
            return None
        elif existing is not None and _starts(tokens, index, existing):
            pieces.append(Slot(existing=True))
            end = index + len(existing)
        elif existing == "%s" and _starts(tokens, index, "%%"):
            pieces.append("%")  # with parameters the driver reads `%%` as one `%`
            end = index + 2
        else:
            text = "".join(item for item in region if isinstance(item, str))
            pieces.append(text.replace("%%", "%") if existing == "%s" else text)
        index = end
    return pieces


def _region_end(tokens: Sequence[str | Value], index: int) -> int | None:
    """Where the lexical unit starting at `index` ends: a quoted string or identifier, a
    comment, or a single character. None for an unterminated one."""
    opening = tokens[index]
    following = tokens[index + 1] if index + 1 < len(tokens) else None
    if opening in ("'", '"', "`"):
        position = index + 1
        while position < len(tokens):
            if tokens[position] == opening:
                if opening == "'" and position + 1 < len(tokens) and tokens[position + 1] == "'":
                    position += 2  # '' is a quote inside the string
                    continue
                return position + 1
            position += 1
        return None
    if opening == "-" and following == "-":
        position = index
        while position < len(tokens) and tokens[position] != "\n":
            position += 1
        return position
    if opening == "/" and following == "*":
        for position in range(index + 2, len(tokens) - 1):
            if tokens[position] == "*" and tokens[position + 1] == "/":
                return position + 2
        return None
    return index + 1


def _starts(tokens: Sequence[str | Value], index: int, text: str) -> bool:
    window = tokens[index : index + len(text)]
    return all(isinstance(item, str) for item in window) and "".join(map(str, window)) == text


def _quoted_parts(region: Sequence[str | Value], percent: bool) -> tuple[Part, ...]:
    """The contents of an SQL string literal as the value it denotes: `''` is one quote
    (and `%%` one percent sign when `percent`: the driver already read the text)."""
    doubled = ("'", "%") if percent else ("'",)
    parts: list[Part] = []
    text = ""
    position = 0
    while position < len(region):
        item = region[position]
        if isinstance(item, Value):
            if text:
                parts.append(Text(text))
                text = ""
            parts.append(item)
        elif item in doubled and position + 1 < len(region) and region[position + 1] == item:
            text += item
            position += 1
        else:
            text += item
        position += 1
    if text:
        parts.append(Text(text))
    return tuple(parts)


def values_bindable(pieces: Sequence[Piece], dialect: str) -> bool:
    """Every pasted value can become a parameter: its conversion keeps its meaning, and an
    unquoted one stands where SQL expects a value, not a name."""
    for piece in pieces:
        if isinstance(piece, Slot):
            for part in piece.parts:
                if isinstance(part, Value) and (part.conversion or part.spec not in _BINDABLE_SPECS):
                    return False
    unquoted = [
        i
        for i, piece in enumerate(pieces)
        if isinstance(piece, Slot) and not (piece.quoted or piece.existing)
    ]
    if not unquoted:
        return True
    text = "".join(f" :fp{i} " if isinstance(piece, Slot) else piece for i, piece in enumerate(pieces))
    try:
        statements = sqlglot.parse(text, read=dialect)
    except SqlglotError:
        return False
    found = {
        placeholder.name: placeholder
        for statement in statements
        if statement is not None
        for placeholder in statement.find_all(exp.Placeholder)
    }
    return all(f"fp{i}" in found and _value_position(found[f"fp{i}"]) for i in unquoted)


def _value_position(node: exp.Expression) -> bool:
    child, parent = node, node.parent
    while isinstance(parent, exp.Paren):
        child, parent = parent, parent.parent
    if isinstance(parent, exp.EQ | exp.NEQ | exp.GT | exp.GTE | exp.LT | exp.LTE | exp.Like | exp.ILike):
        return child.arg_key == "expression"
    if isinstance(parent, exp.In):
        return child.arg_key == "expressions"
    if isinstance(parent, exp.Between):
        return child.arg_key in ("low", "high")
    if isinstance(parent, exp.Limit | exp.Offset):
        return child.arg_key == "expression"
    return isinstance(parent, exp.Tuple) and isinstance(parent.parent, exp.Values)


def render(piece: Piece, placeholder: str) -> str:
    if isinstance(piece, Slot):
        return placeholder
    # With parameters, format-style drivers read every `%` as the start of a placeholder.
    return piece.replace("%", "%%") if placeholder == "%s" else piece
