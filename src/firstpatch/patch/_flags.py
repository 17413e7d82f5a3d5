"""Security settings written as a constant turned off (`SESSION_COOKIE_SECURE = False`,
`ctx.check_hostname = False`, `config["X"] = False`, `X=False`) → turned on."""

from __future__ import annotations

import libcst as cst

from firstpatch.model import Location
from firstpatch.patch._source import SourceFile

_OFF = frozenset({"False", "None"})


def turned_on(source: SourceFile, where: Location) -> tuple[cst.CSTNode, cst.CSTNode] | None:
    """(old, new) turning the constant at `where` on: an assignment whose value is False (or
    None or 0), or such a value by itself (a keyword's or a mapping's)."""
    for node in source.nodes_starting(where):
        value = node.value if isinstance(node, cst.Assign) else node
        if isinstance(value, cst.Name) and value.value in _OFF:
            return value, cst.Name("True")
        if isinstance(value, cst.Integer) and value.value == "0":
            return value, cst.Name("True")
    return None
