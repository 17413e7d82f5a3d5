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

import libcst as cst

from firstpatch.model import Finding
from firstpatch.patch._base import CodemodFixer, callee, finish
from firstpatch.patch._builders import assigned
from firstpatch.patch._edit import Editor
from firstpatch.patch._source import SourceFile
from firstpatch.patch._strings import NUMERIC_SPEC, Built, Value, decompose, is_text
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
            return None
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
