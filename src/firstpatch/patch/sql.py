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

The statement may be built in one function and executed in another: a helper that runs its
parameter (`run_query(sql)` → `cursor.execute(sql)`) is called by the code that builds the SQL.
Then the placeholders go where the trace shows the statement being built, and the values reach
the driver through the helper: through the parameter it already passes on (`query_db(query,
args=())` → `execute(query, args)`), or a new one, `params`, whose default leaves its other
callers as they were (`()` for `?` drivers; `None`, "no parameters", for `%s` drivers, which
would otherwise read every `%` in those callers' SQL as a placeholder).

Or the statement is built by a helper and executed by its caller (`cur.execute(_query(x))`):
the helper's return gets the placeholders, and the execute call binds what the caller passed
for the parameters the helper pasted (`cur.execute(_query(x), (x,))`), so the helper still
returns a str. Only for a module-private helper called nowhere else: a public one may be
imported by callers the fixer does not read, which would get placeholders without values.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import libcst as cst
from libcst.metadata import Assignment

from firstpatch.model import Finding
from firstpatch.patch._base import CodemodFixer, argument, finish, keyword_arg, rebound_between, with_arg
from firstpatch.patch._callers import passed_arguments
from firstpatch.patch._edit import Editor
from firstpatch.patch._naming import value_name
from firstpatch.patch._source import SourceFile
from firstpatch.patch._sql_text import Slot, render, scan, values_bindable
from firstpatch.patch._strings import Built, Value, decompose, fstring, string_literal
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
        helper_runs_it = text_call is None and method == "execute" and built is None
        if helper_runs_it and isinstance(query, cst.Name) and source.is_parameter(query):
            return _bind_in_caller(source, finding, read, call, query, params_arg)
        if helper_runs_it and params_arg is None:
            returned = _returned_by_helper(source, query, call)
            if returned is not None:
                return _bind_in_helper(source, read, call, returned)
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
        style = _paramstyle(editor, call, read)
        if style is None:
            return None
        placeholder, dialect = style
        pieces = scan(built.parts, existing=placeholder if params_arg is not None else None)
        if pieces is None or not values_bindable(pieces, dialect):
            return None
        values = [piece for piece in pieces if isinstance(piece, Slot)]
        sql = "".join(render(piece, placeholder) for piece in pieces)
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


def _bind_in_caller(
    source: SourceFile,
    finding: Finding,
    read: Reader,
    call: cst.Call,
    query: cst.Name,
    params_arg: cst.Arg | None,
) -> Fix | None:
    """The sink executes the parameter `query` of its function: bind where a caller the trace
    passes through builds the statement, and pass the values on through the helper."""
    function = source.function_of(query)
    sink_editor = Editor(source)
    style = _paramstyle(sink_editor, call, read)
    if function is None or style is None:
        return None
    placeholder, dialect = style
    if params_arg is None:
        through = _add_parameter(source, sink_editor, function, call, placeholder)
    else:
        value = params_arg.value
        through = value.value if isinstance(value, cst.Name) and source.is_parameter(value) else None
    if through is None:
        return None
    index = source.parameter_index(function, through)
    editors = {source.path: sink_editor}
    for passed in passed_arguments(source, query, finding, read):
        if any(arg.star for arg in passed.call.args):
            return None
        position = index - _implicit(function, passed.call) if index is not None else -1
        if argument(passed.call, position, through) is not None:
            return None  # the caller passes values already: its SQL has placeholders to merge with
        site = _built_for(passed.source, passed.arg, passed.call)
        if site is None:
            continue
        built, assign = site
        pieces = scan(built.parts, existing=None)
        if pieces is None or not values_bindable(pieces, dialect):
            return None
        slots = [piece for piece in pieces if isinstance(piece, Slot)]
        params = _parameters(passed.source, passed.call, "execute", slots, None, built.quote)
        if params is None:
            return None
        editor = editors.setdefault(passed.source.path, Editor(passed.source))
        literal = string_literal("".join(render(piece, placeholder) for piece in pieces), built.quote)
        new_call = passed.call
        if assign is None:
            new_call = new_call.with_changes(
                args=[a.with_changes(value=literal) if a is passed.arg else a for a in new_call.args]
            )
        else:
            editor.replace(assign, assign.with_changes(value=literal))
        editor.replace(passed.call, with_arg(new_call, keyword_arg(through, params)))
        helper = f"{function.name.value}()"
        return finish(f"{_describe(passed.source, slots)}, passed on through {helper}", *editors.values())
    return None


@dataclass(frozen=True, slots=True)
class _Returned:
    """A statement built and returned by a private helper of the module, and where it is used."""

    helper: cst.FunctionDef
    returned: cst.Return
    built: Built
    called: cst.Call  # the helper's call whose result the sink executes
    assign: cst.Assign | None  # `sql = _query(x)` before the execute call, when not inline


def _returned_by_helper(source: SourceFile, query: cst.BaseExpression, sink: cst.Call) -> _Returned | None:
    """`cur.execute(_query(x))` (or `sql = _query(x); cur.execute(sql)`) where `_query` is a
    module-private function of this file, called nowhere else, that returns the statement built
    in its one return. A public helper may be imported by modules the fixer does not read,
    whose callers would get placeholders without values: it has no fix here."""
    assign = None
    if isinstance(query, cst.Name):
        assign = source.single_assignment(query)
        if assign is None or _executed_elsewhere(source, query, sink) or len(source.reads(query)) != 1:
            return None
        query = assign.value
    if not (isinstance(query, cst.Call) and isinstance(query.func, cst.Name)):
        return None
    name = query.func
    if not name.value.startswith("_") or name.value.startswith("__"):
        return None
    scope = source.scope(name)
    found = list(scope[name.value]) if scope is not None else []
    if (
        len(found) != 1
        or not isinstance(found[0], Assignment)
        or not isinstance(found[0].node, cst.FunctionDef)
    ):
        return None
    if len(found[0].references) != 1:
        return None  # called elsewhere too, where the values are pasted in
    helper = found[0].node
    returns = _returns(helper)
    if len(returns) != 1 or returns[0].value is None:
        return None
    built = decompose(returns[0].value)
    return _Returned(helper, returns[0], built, query, assign) if built is not None else None


def _returns(node: cst.CSTNode) -> list[cst.Return]:
    """The return statements of a function, not of the functions nested in it."""
    found: list[cst.Return] = []
    for child in node.children:
        if isinstance(child, cst.Return):
            found.append(child)
        elif not isinstance(child, cst.FunctionDef | cst.Lambda | cst.ClassDef):
            found.extend(_returns(child))
    return found


def _bind_in_helper(source: SourceFile, read: Reader, call: cst.Call, returned: _Returned) -> Fix | None:
    """The helper returns the statement with placeholders; the execute call binds the values
    its caller passed for the parameters the helper pasted (`execute(_query(x), (x,))`), so the
    helper still returns a str."""
    editor = Editor(source)
    style = _paramstyle(editor, call, read)
    if style is None:
        return None
    placeholder, dialect = style
    built = returned.built
    pieces = scan(built.parts, existing=None)
    if pieces is None or not values_bindable(pieces, dialect):
        return None
    passed: list[cst.BaseExpression] = []
    for slot in (piece for piece in pieces if isinstance(piece, Slot)):
        value = slot.parts[0] if len(slot.parts) == 1 else None
        if not isinstance(value, Value) or not isinstance(value.expression, cst.Name):
            return None  # only a parameter pasted whole maps back to what the caller passed
        argument_ = _passed_for(source, returned, value.expression, call)
        if argument_ is None:
            return None
        passed.append(argument_)
    literal = string_literal("".join(render(piece, placeholder) for piece in pieces), built.quote)
    editor.replace(returned.returned, returned.returned.with_changes(value=literal))
    editor.replace(call, with_arg(call, cst.Arg(_tuple(passed))))
    names = ", ".join(f"`{source.code(value)}`" for value in passed)
    what = "a query parameter" if len(passed) == 1 else "query parameters"
    helper = returned.helper.name.value
    return finish(f"Bind {names} as {what}: {helper}() returns the statement with placeholders", editor)


def _passed_for(
    source: SourceFile, returned: _Returned, name: cst.Name, sink: cst.Call
) -> cst.BaseExpression | None:
    """What the helper's caller passes for the parameter `name` reads, when it can be read again
    at the execute call and still be the same value (a variable, an attribute, a literal)."""
    helper = returned.helper
    if source.parameter(name) is None or source.function_of(name) is not helper:
        return None
    index = source.parameter_index(helper, name.value)
    passed = argument(returned.called, index if index is not None else -1, name.value)
    if passed is None or passed.star or not _plain(passed.value):
        return None
    if returned.assign is not None and rebound_between(
        source, passed.value, returned.assign, returned.called
    ):
        return None
    return passed.value


def _plain(node: cst.BaseExpression) -> bool:
    """A value reading it twice gives twice: a literal, a variable, an attribute or item of one."""
    if isinstance(node, cst.Integer | cst.Float | cst.SimpleString | cst.Name):
        return True
    if isinstance(node, cst.Attribute):
        return _plain(node.value)
    if isinstance(node, cst.Subscript) and len(node.slice) == 1:
        index = node.slice[0].slice
        return isinstance(index, cst.Index) and _plain(index.value) and _plain(node.value)
    return False


def _implicit(function: cst.FunctionDef, call: cst.Call) -> int:
    """1 when `call` is `obj.method(...)` of a method whose `self` is not written at the call."""
    params = function.params.params
    method = bool(params) and params[0].name.value in ("self", "cls")
    return 1 if method and isinstance(call.func, cst.Attribute) else 0


def _built_for(source: SourceFile, arg: cst.Arg, call: cst.Call) -> tuple[Built, cst.Assign | None] | None:
    """The statement a caller passes, built inline or in a local variable set once for it."""
    built = decompose(arg.value)
    if built is not None:
        return built, None
    if not isinstance(arg.value, cst.Name):
        return None
    assign = source.single_assignment(arg.value)
    built = decompose(assign.value) if assign is not None else None
    if assign is None or built is None or _executed_elsewhere(source, arg.value, call):
        return None
    if any(read is not arg.value for read in source.reads(arg.value)):
        return None  # the variable is read elsewhere too, and would lose its values there
    return None if rebound_between(source, assign.value, assign, call) else (built, assign)


def _add_parameter(
    source: SourceFile, editor: Editor, function: cst.FunctionDef, call: cst.Call, placeholder: str
) -> str | None:
    """`params` appended to the helper's parameters and passed to its execute call; its
    default keeps every other caller's statement running as it did."""
    params = function.params
    if not isinstance(params.star_arg, cst.MaybeSentinel) or params.kwonly_params:
        return None  # a new parameter after `*args` or keyword-only ones would change their meaning
    name = source.fresh_name("params", call)
    default: cst.BaseExpression = cst.Tuple([]) if placeholder == "?" else cst.Name("None")
    no_space = cst.SimpleWhitespace("")
    new = cst.Param(cst.Name(name), default=default, equal=cst.AssignEqual(no_space, no_space))
    editor.replace(params, params.with_changes(params=[*params.params, new]))
    editor.replace(call, with_arg(call, cst.Arg(cst.Name(name))))
    return name


def _describe(source: SourceFile, slots: Sequence[Slot]) -> str:
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


def _paramstyle(editor: Editor, call: cst.Call, read: Reader) -> tuple[str, str] | None:
    """The driver's placeholder and SQL dialect: from the module's imports, or else from the
    module of the project function that opened the connection (`con = db.get_connection()`,
    `cur = con.cursor()`, `cur.execute(...)`). None when no known driver is found, or drivers
    of both styles."""
    style = _style_of(editor)
    if style is not None or not isinstance(call.func, cst.Attribute):
        return style
    source = editor.source
    node: cst.BaseExpression = call.func.value
    for _ in range(4):  # cursor ← connection ← the call that opened it
        if isinstance(node, cst.Name):
            assign = source.assignment_reaching(node)
            if assign is None:
                return None
            node = assign.value
        if not isinstance(node, cst.Call):
            return None
        if isinstance(node.func, cst.Attribute) and node.func.attr.value == "cursor":
            node = node.func.value
            continue
        for name in source.qualified_names(node.func):
            module = name.rpartition(".")[0]
            opener = _module_source(module, read)
            if opener is not None:
                return _style_of(Editor(opener))
        return None
    return None


def _style_of(editor: Editor) -> tuple[str, str] | None:
    styles = {style for module, style in _DRIVERS.items() if editor.imports_module(module)}
    return styles.pop() if len(styles) == 1 else None


def _module_source(module: str, read: Reader) -> SourceFile | None:
    """A project module by its dotted name, read as its file (module.py or package/__init__.py)."""
    if not module or not all(part.isidentifier() for part in module.split(".")):
        return None
    base = module.replace(".", "/")
    for path in (f"{base}.py", f"{base}/__init__.py"):
        text = read(path)
        if text is not None:
            return SourceFile.parse(path, text)
    return None


def _parameters(
    source: SourceFile,
    call: cst.Call,
    method: str,
    slots: Sequence[Slot],
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
    pieces = scan(built.parts, existing=None)
    if pieces is None or not values_bindable(pieces, "postgres"):
        return None
    slots = [piece for piece in pieces if isinstance(piece, Slot)]
    names: list[str] = []
    for slot in slots:
        value = slot.parts[0] if len(slot.parts) == 1 else None
        expression = value.expression if isinstance(value, Value) else cst.Name("param")
        names.append(value_name(expression, set(names), "param"))
    rendered = iter(names)
    sql = "".join(
        f":{next(rendered)}" if isinstance(piece, Slot) else _BIND_LIKE.sub(r"\\:", piece) for piece in pieces
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
