"""CWE-117: a log message built by pasting values → the values logged as arguments, their line
breaks escaped.

`logging.info(f"login by {user}")` → `logging.info("login by %s", str(user).replace("\\r",
"\\\\r").replace("\\n", "\\\\n"))`: the message becomes a constant template (so log
aggregation groups it, and nothing is formatted when the level is off), and each value has
CR and LF turned into visible `\\r` and `\\n`, so it cannot start a forged line of its own.
A message that already has arguments, or a value with a format spec, has no fix here.
"""

from __future__ import annotations

import libcst as cst

from firstpatch.model import Finding
from firstpatch.patch._base import CodemodFixer, finish
from firstpatch.patch._edit import Editor
from firstpatch.patch._source import SourceFile
from firstpatch.patch._strings import Text, decompose, is_text, string_literal
from firstpatch.patch.interface import Fix, Reader

_METHODS = frozenset({"debug", "info", "warning", "warn", "error", "exception", "critical", "fatal"})


class LogFixer(CodemodFixer):
    cwes = frozenset({117})

    def fix_source(self, source: SourceFile, finding: Finding, read: Reader) -> Fix | None:
        call = source.call_at(finding.location)
        if call is None or not call.args or not isinstance(call.func, cst.Attribute | cst.Name):
            return None
        name = call.func.attr.value if isinstance(call.func, cst.Attribute) else call.func.value
        message = call.args[0]
        if name not in _METHODS or message.keyword is not None or message.star:
            return None
        if any(arg.keyword is None for arg in call.args[1:]):
            return None  # already a template with arguments
        built = decompose(message.value)
        if built is None:
            return None
        template = ""
        values: list[cst.BaseExpression] = []
        for part in built.parts:
            if isinstance(part, Text):
                template += part.value.replace("%", "%%")
                continue
            if part.spec:
                return None
            template += "%r" if part.conversion == "r" else "%s"
            values.append(_one_line(source, part.expression, part.conversion == "r"))
        quote = built.quote if len(built.quote) == 1 else '"'
        first = message.with_changes(value=string_literal(template, quote))
        if len(call.args) == 1:
            first = first.with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
        added = [
            cst.Arg(value, comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))) for value in values
        ]
        rest = list(call.args[1:])
        if not rest:
            added[-1] = added[-1].with_changes(
                comma=message.comma, whitespace_after_arg=message.whitespace_after_arg
            )
        editor = Editor(source)
        editor.replace(call, call.with_changes(args=[first, *added, *rest]))
        return finish(
            "Log the values as arguments of a constant message, with their line breaks escaped", editor
        )


def _one_line(source: SourceFile, value: cst.BaseExpression, as_repr: bool) -> cst.BaseExpression:
    """`value` with CR and LF escaped; `repr` already escapes them."""
    if as_repr:
        return value.with_changes(lpar=(), rpar=())
    bare = value.with_changes(lpar=(), rpar=())
    atomic = isinstance(value, cst.Name | cst.Attribute | cst.Call | cst.Subscript)
    text = value if atomic and is_text(source, value) else cst.Call(cst.Name("str"), [cst.Arg(bare)])
    for char, shown in (("\r", "\\r"), ("\n", "\\n")):
        text = cst.Call(
            cst.Attribute(text, cst.Name("replace")),
            [
                cst.Arg(string_literal(char), comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))),
                cst.Arg(string_literal(shown)),
            ],
        )
    return text
