"""CWE-328: a broken hash (MD5, SHA-1, MD4, MD2) protecting something → SHA-256.

The analyser reports a weak digest only where it protects something (a password, a token, a
signature, data served to clients), so the fix is always the stronger algorithm and never
`usedforsecurity=False`: that flag says "this protects nothing", which the finding contradicts.
The same library keeps serving the call: `hashlib.md5(x)` → `hashlib.sha256(x)`,
`hashlib.new("md5", x)` → `hashlib.new("sha256", x)`, PyCryptodome's `MD5.new(x)` →
`SHA256.new(x)`, cryptography's `hashes.MD5()` → `hashes.SHA256()`. Digests get longer (64
hex characters instead of 32 or 40): the project's tests show whether anything relied on the
length. Passwords deserve a password hash (scrypt, argon2); that changes how they are stored
and checked, so it is named in the description rather than done silently.
"""

from __future__ import annotations

import libcst as cst

from firstpatch.model import Finding
from firstpatch.patch._base import CodemodFixer, argument, finish
from firstpatch.patch._edit import Editor
from firstpatch.patch._source import SourceFile
from firstpatch.patch._strings import string_literal
from firstpatch.patch._swap import drop_old, swapped_callee
from firstpatch.patch.interface import Fix, Reader

_STRONG: dict[str, str] = {
    **{f"hashlib.{name}": "hashlib.sha256" for name in ("md5", "sha1")},
    **{
        f"cryptography.hazmat.primitives.hashes.{name}": "cryptography.hazmat.primitives.hashes.SHA256"
        for name in ("MD5", "SHA1")
    },
    **{
        f"{package}.Hash.{name}.new": f"{package}.Hash.SHA256.new"
        for package in ("Crypto", "Cryptodome")
        for name in ("MD2", "MD4", "MD5", "SHA", "SHA1")
    },
}
_NAMED = frozenset({"md4", "md5", "sha1", "sha", "md5-sha1"})


class HashFixer(CodemodFixer):
    cwes = frozenset({328})

    def fix_source(self, source: SourceFile, finding: Finding, read: Reader) -> Fix | None:
        call = source.call_at(finding.location)
        if call is None:
            return None
        editor = Editor(source)
        names = source.qualified_names(call.func)
        if "hashlib.new" in names:
            return _named(editor, call)
        old = next((name for name in sorted(names) if name in _STRONG), None)
        if old is None:
            return None
        new = _STRONG[old]
        if new.endswith(".new"):  # PyCryptodome: the module is what changes, `.new` stays
            if not isinstance(call.func, cst.Attribute):
                return None
            owner = swapped_callee(
                editor, call.func.value, old.removesuffix(".new"), new.removesuffix(".new")
            )
            func: cst.BaseExpression | None = call.func.with_changes(value=owner) if owner else None
            drop_old(editor, call.func.value, old.removesuffix(".new"))
        else:
            func = swapped_callee(editor, call.func, old, new)
            drop_old(editor, call.func, old)
        if func is None:
            return None
        editor.replace(call, call.with_changes(func=func))
        return finish(_description(old.split(".")[-2 if new.endswith(".new") else -1]), editor)


def _named(editor: Editor, call: cst.Call) -> Fix | None:
    """`hashlib.new("md5", ...)`: only the algorithm's name changes."""
    chosen = argument(call, 0, "name")
    if chosen is None or not isinstance(chosen.value, cst.SimpleString):
        return None
    name = chosen.value.evaluated_value
    if not isinstance(name, str) or name.lower() not in _NAMED:
        return None
    literal = string_literal("sha256", chosen.value.quote)
    args = [arg.with_changes(value=literal) if arg is chosen else arg for arg in call.args]
    editor.replace(call, call.with_changes(args=args))
    return finish(_description(name), editor)


def _description(algorithm: str) -> str:
    shown = {"sha": "SHA-1", "sha1": "SHA-1"}.get(algorithm.lower(), algorithm.upper())
    return (
        f"Hash with SHA-256 instead of {shown}, which is broken for security use "
        "(for stored passwords, a password hash such as hashlib.scrypt is better still)"
    )
