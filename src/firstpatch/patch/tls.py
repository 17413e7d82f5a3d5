"""CWE-295: TLS certificate verification turned off → left on.

* `verify=False` (requests, httpx), `ssl=False` / `verify_ssl=False` (aiohttp) and
  `assert_hostname=False` (urllib3) are removed: verifying is every client's default.
* `cert_reqs="CERT_NONE"` / `ssl.CERT_NONE` → `CERT_REQUIRED`, in the same spelling.
* `ssl._create_unverified_context` → `ssl.create_default_context`, which verifies.
* `ctx.verify_mode = ssl.CERT_NONE` → `ssl.CERT_REQUIRED`; `ctx.check_hostname = False` and
  `session.verify = False` → True.

A flag given as a variable (`verify=VERIFY`) may be set elsewhere on purpose (a private CA's
bundle path, say): no fix.
"""

from __future__ import annotations

import libcst as cst

from firstpatch.model import Finding
from firstpatch.patch._base import CodemodFixer, finish, keyword, without_arg
from firstpatch.patch._edit import Editor
from firstpatch.patch._flags import turned_on
from firstpatch.patch._source import SourceFile
from firstpatch.patch._strings import string_literal
from firstpatch.patch.interface import Fix, Reader

_OFF_KEYWORDS = ("verify", "ssl", "verify_ssl", "assert_hostname")
_UNVERIFIED = frozenset({"ssl._create_unverified_context", "ssl._create_stdlib_context"})
_DESCRIPTION = "Verify the server's TLS certificate and host name (every client's default)"


class TlsFixer(CodemodFixer):
    cwes = frozenset({295})

    def fix_source(self, source: SourceFile, finding: Finding, read: Reader) -> Fix | None:
        editor = Editor(source)
        call = source.call_at(finding.location)
        if call is not None and source.qualified_names(call.func) & _UNVERIFIED:
            return _default_context(editor, call.func)
        if call is not None:
            new = _verifying(source, call)
            if new is None:
                return None
            editor.replace(call, new)
            return finish(_DESCRIPTION, editor)
        for assign in source.nodes_at(finding.location, cst.Assign):
            if source.qualified_names(assign.value) & _UNVERIFIED:
                return _default_context(editor, assign.value)
            required = _cert_required(source, assign.value)
            if required is not None:
                editor.replace(assign.value, required)
                return finish(_DESCRIPTION, editor)
        setting = turned_on(source, finding.location)
        if setting is None:
            return None
        editor.replace(*setting)
        return finish(_DESCRIPTION, editor)


def _default_context(editor: Editor, func: cst.BaseExpression) -> Fix | None:
    if not isinstance(func, cst.Attribute):
        return None
    editor.replace(func, func.with_changes(attr=cst.Name("create_default_context")))
    return finish(_DESCRIPTION, editor)


def _verifying(source: SourceFile, call: cst.Call) -> cst.Call | None:
    new = call
    for name in _OFF_KEYWORDS:
        given = keyword(new, name)
        if given is not None and isinstance(given.value, cst.Name) and given.value.value == "False":
            new = without_arg(new, given)
    requirement = keyword(new, "cert_reqs")
    if requirement is not None:
        required = _cert_required(source, requirement.value)
        if required is not None:
            new = new.with_changes(
                args=[a.with_changes(value=required) if a is requirement else a for a in new.args]
            )
    return None if new is call else new


def _cert_required(source: SourceFile, value: cst.BaseExpression) -> cst.BaseExpression | None:
    if isinstance(value, cst.Attribute) and "ssl.CERT_NONE" in source.qualified_names(value):
        return value.with_changes(attr=cst.Name("CERT_REQUIRED"))
    if isinstance(value, cst.SimpleString) and value.evaluated_value == "CERT_NONE":
        return string_literal("CERT_REQUIRED", value.quote)
    return None
