"""CWE-94: `eval` of input → `ast.literal_eval`, which accepts Python literals and nothing else.

The usual reason to `eval` input is to read a literal (a list, a number, a dict); for that,
`ast.literal_eval` is the drop-in. An `eval` given namespaces is evaluating names or calls on
purpose, and `exec` runs statements: neither has a safe general replacement, so no fix.
"""

from __future__ import annotations

from firstpatch.model import Finding
from firstpatch.patch._base import CodemodFixer, finish
from firstpatch.patch._edit import Editor
from firstpatch.patch._source import SourceFile
from firstpatch.patch.interface import Fix, Reader


class CodeFixer(CodemodFixer):
    cwes = frozenset({94})

    def fix_source(self, source: SourceFile, finding: Finding, read: Reader) -> Fix | None:
        call = source.call_at(finding.location)
        if call is None or "builtins.eval" not in source.qualified_names(call.func):
            return None
        if len(call.args) != 1 or call.args[0].keyword is not None or call.args[0].star:
            return None
        editor = Editor(source)
        literal_eval = editor.ref("ast", "literal_eval", call)
        if literal_eval is None:
            return None
        editor.replace(call, call.with_changes(func=literal_eval))
        return finish("Parse the value with ast.literal_eval, which evaluates literals only", editor)
