"""Replacing what a call calls with its safe counterpart, spelled the way the file spells it."""

from __future__ import annotations

import libcst as cst

from firstpatch.patch._edit import Editor


def swapped_callee(editor: Editor, func: cst.BaseExpression, old: str, new: str) -> cst.BaseExpression | None:
    """An expression for the dotted name `new` to call instead of `func` (which refers to `old`).

    When `func` is `owner.name` and `owner` is the module `new` lives in, only the last name
    changes (`hashlib.md5` → `hashlib.sha256`); otherwise an existing import is reused or one
    is added, `from module import name` when the original was called by its bare name. None
    when every spelling would clash with a name in use."""
    module, _, name = new.rpartition(".")
    if isinstance(func, cst.Attribute) and old.rpartition(".")[0] == module:
        return func.with_changes(attr=cst.Name(name))
    return editor.ref(module, name, func, prefer_from=isinstance(func, cst.Name))


def drop_old(editor: Editor, func: cst.BaseExpression, old: str) -> None:
    """Remove the import that brought `old` in, if the fix left it unused."""
    module, _, name = old.rpartition(".")
    if isinstance(func, cst.Name):
        editor.drop_unused(module, name)
