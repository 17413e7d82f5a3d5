"""Lists, dicts and config objects built in a function, element by element.

`lst = []; lst.append("safe"); lst.append(param); lst.pop(0); bar = lst[0]` leaves `bar`
tainted, and `bar = lst[1]` does not. A container whose every element is known has a shape
(its length, or KNOWN_KEYS for a mapping); any operation the analysis does not model forgets
the shape and falls back to "the container as a whole".
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from typing import TypeVar

from firstpatch.analysis.constants import UNKNOWN, fold
from firstpatch.analysis.state import KNOWN_KEYS, State
from firstpatch.analysis.taint import CLEAN, Taint, join

# Constructors of empty containers whose contents are then known element by element.
EMPTY_CONSTRUCTORS = frozenset(
    {
        "builtins.dict",
        "builtins.list",
        "collections.OrderedDict",
        "collections.defaultdict",
        "configparser.ConfigParser",
        "configparser.RawConfigParser",
        "configparser.SafeConfigParser",
    }
)
_READS = frozenset({"get", "getint", "getfloat", "getboolean", "pop", "setdefault"})
_LOADS_UNKNOWN_DATA = frozenset({"read", "read_file", "read_string", "read_dict", "update", "extend"})
# Methods that put their arguments into the object they are called on.
_MUTATORS = frozenset(
    {"write", "writelines", "append", "appendleft", "extend", "insert", "add", "update", "put", "push", "set"}
)
_HARMLESS = frozenset(
    {"add_section", "has_section", "has_option", "sections", "options", "keys", "copy", "count", "index"}
)

Evaluate = Callable[[ast.expr], Taint]
T = TypeVar("T")


def key_path(path: str, key: object) -> str:
    return f"{path}[{key!r}]"


def container_call(state: State, path: str, method: str, call: ast.Call, evaluate: Evaluate) -> Taint | None:
    """The taint a container method returns, updating what is known; None if not modelled."""
    args = [fold(arg, state.consts) for arg in call.args]
    shape = state.shape(path)
    if method == "append" and len(call.args) == 1:
        value = evaluate(call.args[0])
        if shape is not None and shape >= 0:
            state.taint[key_path(path, shape)] = value
            if args[0] is not UNKNOWN:
                state.consts[key_path(path, shape)] = args[0]
            state.shapes[path] = shape + 1
        else:
            state.taint[path] = join(state.taint.get(path, CLEAN), value)
        return CLEAN
    if method == "pop" and shape is not None and shape > 0:
        index = args[0] if args else shape - 1
        if isinstance(index, int):
            return _pop(state, path, shape, index)
    if method == "set" and len(call.args) == 3 and UNKNOWN not in args[:2]:
        state.taint[key_path(path, (args[0], args[1]))] = evaluate(call.args[2])
        return CLEAN
    if method in _READS and call.args and args[0] is not UNKNOWN:
        default = join(*(evaluate(arg) for arg in call.args[1:]))
        for key in ((args[0], args[1]) if len(args) > 1 else UNKNOWN, args[0]):
            if key is not UNKNOWN and key_path(path, key) in state.taint:
                return state.taint[key_path(path, key)]
        return default if shape == KNOWN_KEYS else join(state.read(path), default)
    if method in _HARMLESS:
        return CLEAN
    if shape is None and method in _MUTATORS:
        state.taint[path] = join(state.taint.get(path, CLEAN), *(evaluate(arg) for arg in call.args))
        return CLEAN
    if method in _LOADS_UNKNOWN_DATA or shape is not None:
        state.shapes.pop(path, None)
        state.taint[path] = join(state.taint.get(path, CLEAN), *(evaluate(arg) for arg in call.args))
        return state.read(path) if method not in _LOADS_UNKNOWN_DATA else CLEAN
    return None


def _pop(state: State, path: str, length: int, index: int) -> Taint:
    index = index + length if index < 0 else index
    if not 0 <= index < length:
        return CLEAN
    popped = state.taint.pop(key_path(path, index), CLEAN)
    state.consts.pop(key_path(path, index), None)
    for position in range(index + 1, length):
        _move(state.taint, key_path(path, position), key_path(path, position - 1))
        _move(state.consts, key_path(path, position), key_path(path, position - 1))
    state.shapes[path] = length - 1
    return popped


def _move(facts: dict[str, T], source: str, destination: str) -> None:
    if source in facts:
        facts[destination] = facts.pop(source)


def element(state: State, path: str, key: object) -> Taint | None:
    """The taint at a constant key or index, when the container's contents are known."""
    if key_path(path, key) in state.taint:
        return state.taint[key_path(path, key)]
    shape = state.shape(path)
    if shape == KNOWN_KEYS or (shape is not None and isinstance(key, int)):
        return state.taint.get(path, CLEAN)
    return None


def remember_literal(state: State, path: str, value: ast.expr, evaluate: Evaluate) -> None:
    """`x = [a, b]` or `x = {"k": v}`: each element under its own path, and the shape."""
    if isinstance(value, ast.List | ast.Tuple):
        for index, item in enumerate(value.elts):
            if isinstance(item, ast.Starred):
                state.shapes.pop(path, None)
                return
            state.taint[key_path(path, index)] = evaluate(item)
            if (folded := fold(item, state.consts)) is not UNKNOWN:
                state.consts[key_path(path, index)] = folded
        state.shapes[path] = len(value.elts)
    elif isinstance(value, ast.Dict):
        known = True
        for key, item in zip(value.keys, value.values, strict=True):
            folded = fold(key, state.consts) if key is not None else UNKNOWN
            if folded is UNKNOWN:
                known = False
                continue
            state.taint[key_path(path, folded)] = evaluate(item)
        if known:
            state.shapes[path] = KNOWN_KEYS
