"""Constant folding over literals and locals known to hold constants.

Used to prune branches that can never run (`if 7 * 18 - num > 200:` with `num = 106`) and to
pick the case a `match` on a constant takes. Anything not provably constant is `UNKNOWN`.
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable, Mapping
from typing import Any, Final

UNKNOWN: Final = object()

_COMPARE: dict[type[ast.cmpop], Callable[[Any, Any], object]] = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.In: lambda a, b: a in b,
    ast.NotIn: lambda a, b: a not in b,
    ast.Is: operator.is_,
    ast.IsNot: operator.is_not,
}
_ARITHMETIC: dict[type[ast.operator], Callable[[Any, Any], object]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Mod: operator.mod,
    ast.FloorDiv: operator.floordiv,
}
_MAX_LENGTH = 10_000  # folding must not build huge strings ("a" * 10**9)


def fold(node: ast.expr, consts: Mapping[str, object]) -> object:
    """The value of `node` if it is a constant expression, else `UNKNOWN`."""
    try:
        value = _fold(node, consts)
    except (ValueError, TypeError, ArithmeticError, IndexError, KeyError, RecursionError):
        return UNKNOWN
    if isinstance(value, str | bytes | tuple) and len(value) > _MAX_LENGTH:
        return UNKNOWN
    return value


def truth(node: ast.expr, consts: Mapping[str, object]) -> bool | None:
    """The truth of a condition if it is constant, else None."""
    value = fold(node, consts)
    return None if value is UNKNOWN else bool(value)


def _fold(node: ast.expr, consts: Mapping[str, object]) -> object:
    match node:
        case ast.Constant(value=value):
            return value
        case ast.Name(id=name) if name in consts:
            return consts[name]
        case ast.UnaryOp(op=ast.Not(), operand=operand):
            return not _known(operand, consts)
        case ast.UnaryOp(op=ast.USub(), operand=operand):
            return -_number(_known(operand, consts))
        case ast.BoolOp(op=ast.And(), values=values):
            return all(_known(v, consts) for v in values)
        case ast.BoolOp(op=ast.Or(), values=values):
            return any(_known(v, consts) for v in values)
        case ast.Compare(left=left, ops=ops, comparators=comparators):
            current = _known(left, consts)
            for op, right in zip(ops, comparators, strict=True):
                folded = _known(right, consts)
                if not _COMPARE[type(op)](current, folded):
                    return False
                current = folded
            return True
        case ast.BinOp(left=left, op=op, right=right) if type(op) in _ARITHMETIC:
            return _ARITHMETIC[type(op)](_known(left, consts), _known(right, consts))
        case ast.Subscript(value=value, slice=index) if not isinstance(index, ast.Slice):
            container = _known(value, consts)
            position = _known(index, consts)
            if not isinstance(container, str | bytes | tuple) or not isinstance(position, int):
                raise TypeError("not an index into an immutable sequence")
            return container[position]
        case ast.Tuple(elts=elements):
            return tuple(_known(e, consts) for e in elements)
        case ast.JoinedStr(values=values):
            return "".join(_format(v, consts) for v in values)
        case ast.IfExp(test=test, body=body, orelse=orelse):
            return _known(body if _known(test, consts) else orelse, consts)
    raise ValueError("not constant")


def _known(node: ast.expr, consts: Mapping[str, object]) -> object:
    value = _fold(node, consts)
    if value is UNKNOWN:
        raise ValueError("not constant")
    return value


def _number(value: object) -> int | float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError("not a number")
    return value


def _format(node: ast.expr, consts: Mapping[str, object]) -> str:
    if isinstance(node, ast.Constant):
        return str(node.value)
    if isinstance(node, ast.FormattedValue) and node.conversion == -1 and node.format_spec is None:
        value = _known(node.value, consts)
        if isinstance(value, str | int):
            return str(value)
    raise ValueError("not a constant string")


def is_constant_value(value: object) -> bool:
    """Values worth remembering for a variable (immutable, small)."""
    if isinstance(value, tuple):
        return len(value) <= 64 and all(is_constant_value(v) for v in value)
    return value is None or isinstance(value, bool | int | float | str | bytes)
