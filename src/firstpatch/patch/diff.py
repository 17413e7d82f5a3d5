"""Unified diffs of proposed changes, paths `a/<rel>` and `b/<rel>` from the target root."""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence

from firstpatch.patch.interface import FileChange

# Lines end at "\n" only: str.splitlines would also split at form feeds and other separators
# that source files contain, and the diff would no longer apply.
_LINE = re.compile(r"[^\n]*\n|[^\n]+\Z")
_NO_NEWLINE = "\\ No newline at end of file\n"


def unified_diff(changes: Sequence[FileChange], context: int = 3) -> str:
    out: list[str] = []
    for change in sorted(changes, key=lambda change: change.path):
        lines = difflib.unified_diff(
            _LINE.findall(change.before),
            _LINE.findall(change.after),
            fromfile=f"a/{change.path}",
            tofile=f"b/{change.path}",
            n=context,
        )
        for line in lines:
            out.append(line if line.endswith("\n") else f"{line}\n{_NO_NEWLINE}")
    return "".join(out)
