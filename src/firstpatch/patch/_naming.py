"""Names for values a fix passes by name: template and XPath variables, bind parameters."""

from __future__ import annotations

import keyword
from collections.abc import Set

import libcst as cst

_RESERVED = frozenset({"True", "False", "None", "self", "cls"})


def value_name(expression: cst.BaseExpression, taken: Set[str], default: str = "value") -> str:
    """A readable name for `expression` not in `taken`: the variable's own name (`user` for
    `user`, `str(user)` and `form.user`; `name` for `args["name"]`), else `default`."""
    wanted = _own_name(expression) or default
    if keyword.iskeyword(wanted) or wanted in _RESERVED or not wanted.isidentifier():
        wanted = default
    name, counter = wanted, 1
    while name in taken:
        counter += 1
        name = f"{wanted}_{counter}"
    return name


def _own_name(expression: cst.BaseExpression) -> str | None:
    match expression:
        case cst.Name(value=value):
            return value
        case cst.Attribute(attr=cst.Name(value=value)):
            return value
        case cst.Subscript(slice=[cst.SubscriptElement(slice=cst.Index(value=cst.SimpleString() as key))]):
            text = key.evaluated_value
            return text if isinstance(text, str) else None
        case cst.Call(args=[cst.Arg(value=inner, keyword=None)]):
            return _own_name(inner)
    return None
