"""CWE-89: SQL built by pasting values → the same SQL with placeholders and bound parameters.

The statement passed to `execute`/`executemany` (directly, or through a local variable set
once in the same function) is taken apart; every pasted value becomes a placeholder in the
driver's paramstyle and an element of the parameter tuple. Quotes around a value in the SQL
are dropped with it (`'` + x + `'` → `?`), and text sharing the quotes with the value moves
into the parameter (`'%` + x + `%'` → `?` bound to `f"%{x}%"`).

A value outside quotes is bound only where SQL allows a value — the right of a comparison,
an `IN` list, `BETWEEN`, `LIMIT`/`OFFSET`, a `VALUES` row — which sqlglot decides from the
statement's structure. Anywhere else it is a table or column name, which no placeholder can
stand for: then there is no fix.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import libcst as cst
import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

from firstpatch.model import Finding
from firstpatch.patch._base import CodemodFixer, argument, finish, rebound_between, with_arg
from firstpatch.patch._edit import Editor
from firstpatch.patch._naming import value_name
from firstpatch.patch._source import SourceFile
from firstpatch.patch._strings import Built, Part, Text, Value, decompose, fstring, string_literal
from firstpatch.patch.interface import Fix, Reader

# DB-API drivers by paramstyle, and the sqlglot dialect that reads their SQL.
_DRIVERS: dict[str, tuple[str, str]] = {
    "sqlite3": ("?", "sqlite"),
    "aiosqlite": ("?", "sqlite"),
    "psycopg": ("%s", "postgres"),
    "psycopg2": ("%s", "postgres"),
    "pg8000": ("%s", "postgres"),
    "pymysql": ("%s", "mysql"),
    "MySQLdb": ("%s", "mysql"),
    "mysql.connector": ("%s", "mysql"),
    "aiomysql": ("%s", "mysql"),
    # Django's cursors take `%s` whatever the database, and translate it for SQLite.
    "django.db": ("%s", "postgres"),
}
_PARAMS_KEYWORDS = ("parameters", "params", "args", "vars", "seq_of_parameters")
_EXECUTES = frozenset({"execute", "executemany", "executescript"})
_BINDABLE_SPECS = frozenset({"", "d", "i", "u"})  # %d pastes a number: binding it keeps its meaning


@dataclass(frozen=True, slots=True)
class _Slot:
    """One placeholder of the rewritten statement: a value to bind, or an existing one."""

    parts: tuple[Part, ...] = ()  # the pasted value (with text that shared its quotes)
    quoted: bool = False
    existing: bool = False


_Piece = str | _Slot


class SqlFixer(CodemodFixer):
    cwes = frozenset({89})

    def fix_source(self, source: SourceFile, finding: Finding, read: Reader) -> Fix | None:
        call = source.call_at(finding.location)
        if call is None or not isinstance(call.func, cst.Attribute):
            return None
        method = call.func.attr.value
        query_arg = argument(call, 0, "sql", "operation", "query", "raw_query", "statement")
        if method not in ("execute", "executemany", "raw") or query_arg is None:
            return None
        params_arg = argument(call, 1, *_PARAMS_KEYWORDS)
        if method == "executemany" and params_arg is None:
            return None

        query = query_arg.value
        text_call, text_holder = _sqlalchemy_text(source, query)
        if text_call is not None:
            if params_arg is not None or method != "execute":
                return None
            text_arg = argument(text_call, 0, "text")
            if text_arg is None:
                return None
            query = text_arg.value
        assign: cst.Assign | None = None
        built = decompose(query)
        if built is None and isinstance(query, cst.Name):
            assign = source.single_assignment(query)
            built = decompose(assign.value) if assign is not None else None
            if assign is None or built is None or _executed_elsewhere(source, query, call):
                return None
            if rebound_between(source, assign.value, assign, call):
                return None
        if built is None:
            return None

        editor = Editor(source)
        if text_call is not None:
            return _named(source, editor, call, query_arg, text_call, text_holder, assign, built)
        if method == "raw" and not editor.imports_module("django"):
            return None
        style = _paramstyle(editor, built)
        if style is None:
            return None
        placeholder, dialect = style
        pieces = _scan(built.parts, existing=placeholder if params_arg is not None else None)
        if pieces is None or not _values_bindable(pieces, dialect):
            return None
        values = [piece for piece in pieces if isinstance(piece, _Slot)]
        sql = "".join(_render(piece, placeholder) for piece in pieces)
        params = _parameters(source, call, method, values, params_arg, built.quote)
        if params is None:
            return None

        literal = string_literal(sql, built.quote)
        if assign is None:
            call_args = [*call.args]
            call_args[call_args.index(query_arg)] = query_arg.with_changes(value=literal)
            call_new = call.with_changes(args=call_args)
        else:
            editor.replace(assign, assign.with_changes(value=literal))
            call_new = call
        if params_arg is not None:
            new_args = [*call_new.args]
            new_args[new_args.index(params_arg)] = params_arg.with_changes(value=params)
            call_new = call_new.with_changes(args=new_args)
        else:
            call_new = with_arg(call_new, cst.Arg(params))
        editor.replace(call, call_new)
        return finish(_describe(source, values), editor)


def _describe(source: SourceFile, slots: Sequence[_Slot]) -> str:
    bound = [part for slot in slots for part in slot.parts if isinstance(part, Value)]
    names = ", ".join(f"`{source.code(part.expression)}`" for part in bound)
    what = "a query parameter" if len(bound) == 1 else "query parameters"
    return f"Bind {names} as {what} instead of pasting into the SQL text"


def _executed_elsewhere(source: SourceFile, variable: cst.Name, call: cst.Call) -> bool:
    """The statement variable also feeds another execute call, which would lose its values."""
    for read in source.reads(variable):
        if read is variable:
            continue
        parent = source.parents.get(read)
        caller = source.parents.get(parent) if isinstance(parent, cst.Arg) else None
        if (
            isinstance(caller, cst.Call)
            and caller is not call
            and isinstance(caller.func, cst.Attribute)
            and caller.func.attr.value in _EXECUTES
        ):
            return True
    return False


def _paramstyle(editor: Editor, built: Built) -> tuple[str, str] | None:
    """The driver's placeholder and SQL dialect, from the module's imports; None when the
    module imports no known driver, or drivers of both styles."""
    styles = {style for module, style in _DRIVERS.items() if editor.imports_module(module)}
    if len(styles) == 1:
        return styles.pop()
    return None


def _scan(parts: Sequence[Part], existing: str | None) -> list[_Piece] | None:
    """The statement as SQL text and slots; None when a value sits where it cannot be bound
    (in a quoted identifier or a comment, or after a string prefix like `N'`).

    `existing` is the driver's placeholder when the call already passes parameters: the
    placeholders already in the text are then slots too, so the old and new values merge."""
    tokens: list[str | Value] = []
    for part in parts:
        tokens.extend(part.value if isinstance(part, Text) else [part])
    pieces: list[_Piece] = []
    index = 0
    while index < len(tokens):
        first = tokens[index]
        if isinstance(first, Value):
            pieces.append(_Slot((first,)))
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
            pieces.append(_Slot(_quoted_parts(region[1:-1], percent=existing == "%s"), quoted=True))
        elif any(isinstance(item, Value) for item in region):
            return None
        elif existing is not None and _starts(tokens, index, existing):
            pieces.append(_Slot(existing=True))
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


def _values_bindable(pieces: Sequence[_Piece], dialect: str) -> bool:
    """Every pasted value can become a parameter: its conversion keeps its meaning, and an
    unquoted one stands where SQL expects a value, not a name."""
    for piece in pieces:
        if isinstance(piece, _Slot):
            for part in piece.parts:
                if isinstance(part, Value) and (part.conversion or part.spec not in _BINDABLE_SPECS):
                    return False
    unquoted = [
        i
        for i, piece in enumerate(pieces)
        if isinstance(piece, _Slot) and not (piece.quoted or piece.existing)
    ]
    if not unquoted:
        return True
    text = "".join(f" :fp{i} " if isinstance(piece, _Slot) else piece for i, piece in enumerate(pieces))
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


def _render(piece: _Piece, placeholder: str) -> str:
    if isinstance(piece, _Slot):
        return placeholder
    # With parameters, format-style drivers read every `%` as the start of a placeholder.
    return piece.replace("%", "%%") if placeholder == "%s" else piece


def _parameters(
    source: SourceFile,
    call: cst.Call,
    method: str,
    slots: Sequence[_Slot],
    params_arg: cst.Arg | None,
    quote: str,
) -> cst.BaseExpression | None:
    """The parameters in placeholder order, old and new merged; None when the old ones are
    not written out where they can be merged."""
    new: list[cst.BaseExpression | None] = []
    for slot in slots:
        if slot.existing:
            new.append(None)
            continue
        if len(slot.parts) == 1 and isinstance(slot.parts[0], Value):
            new.append(slot.parts[0].expression)
            continue
        combined = fstring(slot.parts, quote if len(quote) == 1 else quote[0])
        if combined is None:
            return None
        new.append(combined)
    if params_arg is None:
        if any(value is None for value in new):
            return None  # placeholders in the text but nothing bound to them
        return _tuple([value for value in new if value is not None])
    old = params_arg.value
    if method == "execute":
        if not isinstance(old, cst.Tuple | cst.List) or any(
            isinstance(element, cst.StarredElement) for element in old.elements
        ):
            return None
        existing = [element.value for element in old.elements]
        if len(existing) != sum(value is None for value in new):
            return None
        supply = iter(existing)
        merged = [value if value is not None else next(supply) for value in new]
        return _tuple(merged) if isinstance(old, cst.Tuple) else cst.List([cst.Element(v) for v in merged])
    # executemany: each row gains the new values, before or after its own.
    kinds = [value is None for value in new]
    count = sum(kinds)
    if count == 0:
        return None
    row = cst.Name(source.fresh_name("row", call))
    added = [cst.Element(value) for value in new if value is not None]
    if kinds == [True] * count + [False] * (len(kinds) - count):
        elements = [cst.StarredElement(row), *added]
    elif kinds == [False] * (len(kinds) - count) + [True] * count:
        elements = [*added, cst.StarredElement(row)]
    else:
        return None
    return cst.ListComp(
        elt=cst.Tuple(elements),
        for_in=cst.CompFor(target=row, iter=old),
    )


def _tuple(values: Sequence[cst.BaseExpression]) -> cst.Tuple:
    return cst.Tuple([cst.Element(value) for value in values])


# What SQLAlchemy's text() reads as a bind parameter; `\\:` keeps such a colon literal.
_BIND_LIKE = re.compile(r"(?<![:\w\\]):(?=\w)")
_TEXT = frozenset({"sqlalchemy.text", "sqlalchemy.sql.text", "sqlalchemy.sql.expression.text"})


def _sqlalchemy_text(
    source: SourceFile, node: cst.BaseExpression
) -> tuple[cst.Call | None, cst.Assign | None]:
    """The SQLAlchemy `text(...)` call the statement is, inline or held in a local variable
    assigned once (with that assignment)."""
    holder = source.single_assignment(node) if isinstance(node, cst.Name) else None
    candidate = holder.value if holder is not None else node
    if isinstance(candidate, cst.Call) and source.qualified_names(candidate.func) & _TEXT:
        return candidate, holder
    return None, None


def _named(
    source: SourceFile,
    editor: Editor,
    call: cst.Call,
    query_arg: cst.Arg,
    text_call: cst.Call,
    holder: cst.Assign | None,
    assign: cst.Assign | None,
    built: Built,
) -> Fix | None:
    """SQLAlchemy: `text()` with `:name` bind parameters, their values as a dict after it."""
    pieces = _scan(built.parts, existing=None)
    if pieces is None or not _values_bindable(pieces, "postgres"):
        return None
    slots = [piece for piece in pieces if isinstance(piece, _Slot)]
    names: list[str] = []
    for slot in slots:
        value = slot.parts[0] if len(slot.parts) == 1 else None
        expression = value.expression if isinstance(value, Value) else cst.Name("param")
        names.append(value_name(expression, set(names), "param"))
    rendered = iter(names)
    sql = "".join(
        f":{next(rendered)}" if isinstance(piece, _Slot) else _BIND_LIKE.sub(r"\\:", piece)
        for piece in pieces
    )
    values = _parameters(source, call, "execute", slots, None, built.quote)
    if not isinstance(values, cst.Tuple):
        return None
    mapping = cst.Dict(
        [
            cst.DictElement(string_literal(name), element.value)
            for name, element in zip(names, values.elements, strict=True)
        ]
    )
    literal = string_literal(sql, built.quote)
    text_arg = text_call.args[0]
    new_text = text_call.with_changes(args=[text_arg.with_changes(value=literal), *text_call.args[1:]])
    if assign is not None:
        editor.replace(assign, assign.with_changes(value=literal))
    elif holder is not None:
        editor.replace(text_call, new_text)
    new_call = call
    if holder is None and assign is None:
        new_call = call.with_changes(
            args=[arg.with_changes(value=new_text) if arg is query_arg else arg for arg in call.args]
        )
    editor.replace(call, with_arg(new_call, cst.Arg(mapping)))
    return finish(_describe(source, slots).replace("query parameter", "bind parameter"), editor)
