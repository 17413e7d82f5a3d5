"""CWE-90: an LDAP filter built by pasting values → each value escaped with the library's
own `escape_filter_chars`.

ldap3's `Connection.search(base, filter)` gets `ldap3.utils.conv.escape_filter_chars`,
python-ldap's `search_s(base, scope, filterstr)` (and `search`, `search_st`, `search_ext_s`)
gets `ldap.filter.escape_filter_chars`: both turn `*`, `(`, `)`, `\\` and NUL into `\\XX`
escapes, so a value can only be matched, never widen or close the filter. The filter may be
built inline or in a local variable; every building expression has each value escaped.
"""

from __future__ import annotations

import libcst as cst

from firstpatch.model import Finding
from firstpatch.patch._base import CodemodFixer, argument, callee, finish
from firstpatch.patch._builders import builders
from firstpatch.patch._edit import Editor
from firstpatch.patch._source import SourceFile
from firstpatch.patch._strings import NUMERIC_SPEC, Value, is_text
from firstpatch.patch.interface import Fix, Reader

# The search methods, and where each takes its filter (python-ldap's take a scope first).
_LDAP3 = ("ldap3.utils.conv", "escape_filter_chars")
_PYTHON_LDAP = ("ldap.filter", "escape_filter_chars")
_ESCAPES = frozenset({"ldap3.utils.conv.escape_filter_chars", "ldap.filter.escape_filter_chars"})


class LdapFixer(CodemodFixer):
    cwes = frozenset({90})

    def fix_source(self, source: SourceFile, finding: Finding, read: Reader) -> Fix | None:
        call = source.call_at(finding.location)
        if call is None:
            return None
        editor = Editor(source)
        python_ldap = callee(call) in ("search_s", "search_st", "search_ext_s") or (
            callee(call) == "search" and editor.imports_module("ldap") and not editor.imports_module("ldap3")
        )
        if callee(call) not in ("search", "search_s", "search_st", "search_ext_s"):
            return None
        found = argument(call, 2, "filterstr") if python_ldap else argument(call, 1, "search_filter")
        if found is None or found.star:
            return None
        values = [
            value
            for built in builders(source, found.value)
            for value in built.values
            if not _safe(source, value)
        ]
        if not values or any(value.conversion or value.spec for value in values):
            return None
        module, name = _PYTHON_LDAP if python_ldap else _LDAP3
        escape = editor.ref(module, name, values[0].expression, prefer_from=True)
        if escape is None:
            return None
        for value in values:
            expression = value.expression
            text = expression.with_changes(lpar=(), rpar=())
            if value.converted and not is_text(source, expression):
                text = cst.Call(cst.Name("str"), [cst.Arg(text)])  # an f-string pastes any value
            wrapped = cst.Call(escape, [cst.Arg(text)])
            editor.replace(expression, wrapped.with_changes(lpar=expression.lpar, rpar=expression.rpar))
        names = ", ".join(f"`{source.code(value.expression)}`" for value in values)
        return finish(f"Escape {names} with escape_filter_chars before pasting into the LDAP filter", editor)


def _safe(source: SourceFile, value: Value) -> bool:
    if value.spec and NUMERIC_SPEC.match(value.spec) and not value.conversion:
        return True
    expression = value.expression
    if isinstance(expression, cst.Integer | cst.SimpleString):
        return True
    return source.calls_one_of(expression, _ESCAPES | {"builtins.int", "builtins.len"})
