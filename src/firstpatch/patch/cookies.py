"""CWE-614 and CWE-1004: a cookie sent without Secure or HttpOnly → `secure=True,
httponly=True, samesite="Lax"`.

`set_cookie`, `set_signed_cookie` (Django) and `set_secure_cookie` (Tornado) take the same
keywords in Flask/Werkzeug, Django, Starlette, aiohttp and Tornado; each flag is set where it
is already given (by keyword, or by position in `set_cookie(key, value, max_age, expires,
path, domain, secure, httponly, samesite)`) and added otherwise. An existing `samesite` is
kept: "Strict" is stricter, and "None" was chosen on purpose. A call that passes `**options`
may set the flags there: no fix. A framework setting turned off (`SESSION_COOKIE_SECURE =
False`, in a module, a `config` mapping or a keyword) is turned on.
"""

from __future__ import annotations

import libcst as cst

from firstpatch.model import Finding
from firstpatch.patch._base import CodemodFixer, argument, callee, finish, keyword_arg, set_keyword, with_arg
from firstpatch.patch._edit import Editor
from firstpatch.patch._flags import turned_on
from firstpatch.patch._source import SourceFile
from firstpatch.patch.interface import Fix, Reader

_SETTERS = frozenset({"set_cookie", "set_signed_cookie", "set_secure_cookie"})
_POSITION = {"secure": 6, "httponly": 7, "samesite": 8}  # in set_cookie's signature


class CookieFixer(CodemodFixer):
    cwes = frozenset({614, 1004})

    def fix_source(self, source: SourceFile, finding: Finding, read: Reader) -> Fix | None:
        editor = Editor(source)
        call = source.call_at(finding.location)
        if call is None or callee(call) not in _SETTERS:
            setting = turned_on(source, finding.location)
            if setting is None:
                return None
            editor.replace(*setting)
            return finish("Turn the cookie setting on, so the session cookie gets the attribute", editor)
        if any(arg.star for arg in call.args):
            return None
        positional = callee(call) == "set_cookie"
        new = call
        for flag in ("secure", "httponly"):
            given = argument(call, _POSITION[flag], flag) if positional else None
            if given is not None and given.keyword is None:
                new = new.with_changes(
                    args=[a.with_changes(value=cst.Name("True")) if a is given else a for a in new.args]
                )
            else:
                new = set_keyword(new, flag, cst.Name("True"))
        has_samesite = (argument(call, _POSITION["samesite"], "samesite") if positional else None) or any(
            arg.keyword is not None and arg.keyword.value == "samesite" for arg in call.args
        )
        if not has_samesite:
            new = with_arg(new, keyword_arg("samesite", cst.SimpleString('"Lax"')))
        if new.deep_equals(call):
            return None
        editor.replace(call, new)
        return finish(
            "Send the cookie only over HTTPS, out of reach of scripts and not on cross-site requests "
            '(secure=True, httponly=True, samesite="Lax")',
            editor,
        )
