"""CWE-79: HTML built by pasting values → each value escaped where it is pasted.

The HTML may be built inline (`return f"<h1>{name}</h1>"`), passed to a response
(`make_response(...)`), or assembled in a local variable (`page = ...; page += ...;
return page`); every building expression gets each interpolated value wrapped in
`escape(...)`. An existing escape import is reused: markupsafe's (also as re-exported by
Flask or Jinja) or `html.escape`; otherwise `from markupsafe import escape` is added.

markupsafe's `escape` returns `Markup`, and `"<b>" + Markup(...)` escapes the *literal*
side (Markup.__radd__), so in a concatenation the value is wrapped as `str(escape(x))`.
A value with a conversion (`{x!r}`) or a non-numeric format spec has no fix here.
"""

from __future__ import annotations

import string

import libcst as cst

from firstpatch.model import Finding
from firstpatch.patch._base import CodemodFixer, callee, finish
from firstpatch.patch._builders import assigned
from firstpatch.patch._edit import Editor
from firstpatch.patch._source import SourceFile
from firstpatch.patch._strings import NUMERIC_SPEC, Built, Part, Text, Value, decompose, fstring, is_text
from firstpatch.patch.interface import Fix, Reader

_MARKUP_ESCAPES = ("markupsafe.escape", "flask.escape", "jinja2.escape", "werkzeug.utils.escape")
# Calls that make a response of their first argument: the HTML is built there.
_RESPONSES = frozenset({"make_response", "Response", "HTMLResponse", "HttpResponse"})
# Calls whose result is already safe to paste into HTML.
_SAFE = frozenset(
    {
        *_MARKUP_ESCAPES,
        "html.escape",
        # escape() returns Markup unchanged: wrapping it would change nothing.
        "markupsafe.Markup",
        "flask.Markup",
        "builtins.int",
        "builtins.float",
        "builtins.len",
        "flask.url_for",
    }
)


class XssFixer(CodemodFixer):
    cwes = frozenset({79})

    def fix_source(self, source: SourceFile, finding: Finding, read: Reader) -> Fix | None:
        builders = _builders(source, finding)
        if not builders:
            return _fix_indexed(source, finding)
        pending: list[Value] = []
        for built in builders:
            for value in built.values:
                if _safe(source, value):
                    continue
                if value.conversion or value.spec:
                    return None
                pending.append(value)
        if not pending:
            return None
        editor = Editor(source)
        at = pending[0].expression
        markup = editor.existing(at, *_MARKUP_ESCAPES)
        plain = editor.existing(at, "html.escape") if markup is None else None
        if markup is None and plain is None:
            markup = editor.ref("markupsafe", "escape", at, prefer_from=True)
        for value in pending:
            expression = value.expression
            if markup is not None:
                wrapped = _call(markup, expression)
                if not value.converted:
                    wrapped = _call(cst.Name("str"), wrapped)  # see the module docstring
            elif plain is not None:
                text = (
                    expression
                    if is_text(source, expression) or not value.converted
                    else (_call(cst.Name("str"), expression))
                )
                wrapped = _call(plain, text)
            else:
                return None
            editor.replace(expression, wrapped.with_changes(lpar=expression.lpar, rpar=expression.rpar))
        names = ", ".join(f"`{source.code(value.expression)}`" for value in pending)
        return finish(f"Escape {names} before pasting into the HTML", editor)


def _escape_ref(editor: Editor, at: cst.CSTNode) -> cst.BaseExpression | None:
    """An escape function for text pasted into an f-string: an existing one, else markupsafe's."""
    found = editor.existing(at, *_MARKUP_ESCAPES) or editor.existing(at, "html.escape")
    return found if found is not None else editor.ref("markupsafe", "escape", at, prefer_from=True)


def _fix_indexed(source: SourceFile, finding: Finding) -> Fix | None:
    """`'{0[name]}'.format(items)`: no value to wrap in place, so the call becomes the f-string
    it stands for, each looked-up value escaped (`f'{escape(items["name"])}'`)."""
    for builder in _format_builders(source, finding):
        parts = _indexed_format(builder)
        if parts is None:
            continue
        editor = Editor(source)
        escape = _escape_ref(editor, builder)
        if escape is None:
            return None
        wrapped: list[Part] = [
            part if isinstance(part, Text) else Value(_call(escape, part.expression), converted=True)
            for part in parts
        ]
        quote = _quote_of(builder)
        rebuilt = fstring(wrapped, quote)
        if rebuilt is None:
            return None
        editor.replace(builder, rebuilt.with_changes(lpar=builder.lpar, rpar=builder.rpar))
        names = ", ".join(
            f"`{cst.Module([]).code_for_node(p.expression)}`" for p in parts if isinstance(p, Value)
        )
        return finish(f"Escape {names} before pasting into the HTML", editor)
    return None


def _format_builders(source: SourceFile, finding: Finding) -> list[cst.Call]:
    """`.format(...)` calls building the HTML that reaches the sink, inline or in a local."""
    found: list[cst.Call] = []
    for node in source.nodes_starting(finding.location):
        expression = node.value if isinstance(node, cst.Return) else node
        if not isinstance(expression, cst.BaseExpression):
            continue
        candidates = assigned(source, expression) if isinstance(expression, cst.Name) else [expression]
        for candidate in candidates:
            last = candidate  # `page + "...".format(x)`: the call is the right-most operand
            while isinstance(last, cst.BinaryOperation) and isinstance(last.operator, cst.Add):
                last = last.right
            if isinstance(last, cst.Call) and callee(last) == "format":
                found.append(last)
    return found


def _quote_of(call: cst.Call) -> str:
    template = call.func.value if isinstance(call.func, cst.Attribute) else None
    if isinstance(template, cst.SimpleString):
        return template.quote[0]
    return '"'


def _indexed_format(call: cst.Call) -> list[Part] | None:
    """The parts of `'...{0[key]}...'.format(a)` (fields naming an argument, or an item of
    one by a plain key); None for anything else."""
    func = call.func
    if not (isinstance(func, cst.Attribute) and isinstance(func.value, cst.SimpleString)):
        return None
    template = func.value.evaluated_value
    if not isinstance(template, str) or any(arg.star for arg in call.args):
        return None
    positional = [arg.value for arg in call.args if arg.keyword is None]
    keywords = {arg.keyword.value: arg.value for arg in call.args if arg.keyword is not None}
    key_quote = '"' if _quote_of(call) == "'" else "'"
    parts: list[Part] = []
    indexed = False
    try:
        fields = list(string.Formatter().parse(template))
    except ValueError:
        return None
    for before, field, spec, conversion in fields:
        if before:
            parts.append(Text(before))
        if field is None:
            continue
        if spec or conversion:
            return None
        head, _, rest = field.partition("[")
        argument = (
            positional[int(head)] if head.isdigit() and int(head) < len(positional) else keywords.get(head)
        )
        if argument is None:
            return None
        expression: cst.BaseExpression = argument
        for key in _keys(f"[{rest}" if rest else ""):
            if key is None:
                return None
            index = cst.Integer(key) if key.isdigit() else cst.SimpleString(f"{key_quote}{key}{key_quote}")
            expression = cst.Subscript(expression, [cst.SubscriptElement(cst.Index(index))])
            indexed = True
        parts.append(Value(expression, converted=True))
    return parts if indexed else None


def _keys(text: str) -> list[str | None]:
    """`[a][0]` → ["a", "0"]; None for a key that is not a plain word or number."""
    keys: list[str | None] = []
    while text:
        if not text.startswith("[") or "]" not in text:
            return [None]
        key, _, text = text[1:].partition("]")
        keys.append(key if key.isidentifier() or key.isdigit() else None)
    return keys


def _call(func: cst.BaseExpression, argument: cst.BaseExpression) -> cst.Call:
    return cst.Call(func, [cst.Arg(argument.with_changes(lpar=(), rpar=()))])


def _builders(source: SourceFile, finding: Finding) -> list[Built]:
    """The expressions building the HTML that reaches the sink."""
    for node in source.nodes_starting(finding.location):
        expression = node.value if isinstance(node, cst.Return) else node
        if not isinstance(expression, cst.BaseExpression):
            continue
        candidates = [expression]
        if isinstance(expression, cst.Call) and expression.args and callee(expression) in _RESPONSES:
            candidates.append(expression.args[0].value)
        for candidate in candidates:
            built = decompose(candidate)
            if built is not None:
                return [built]
            if isinstance(candidate, cst.Name):
                found = [b for b in map(decompose, assigned(source, candidate)) if b is not None]
                if found:
                    return found
    return []


def _safe(source: SourceFile, value: Value) -> bool:
    """A value that cannot carry markup: a literal, a number, or already escaped."""
    if value.spec and NUMERIC_SPEC.match(value.spec) and not value.conversion:
        return True
    expression = value.expression
    if isinstance(expression, cst.Integer | cst.Float | cst.SimpleString):
        return True
    return source.calls_one_of(expression, _SAFE)
