"""Shell commands assembled piece by piece, for the command fixer to quote each piece.

Two shapes put text from several statements in front of a shell:

* a command variable built up with `=` and `+=` (`cmd = "sh -c "` in one branch, `cmd =
  "cmd.exe /c "` in the other, then `cmd += f"echo {x}"`) and run with `shell=True` or
  `os.system`: every piece is shell text;
* an argument list whose program is a shell given a command string (`["sh", "-c", ...]`,
  written out or filled with `append`): the strings after the `-c` are shell text.

Pieces are returned only when every piece is a string with no shell quote left open, so that
each can be quoted on its own; anything else (a piece from a call, a list changed any other
way than `append`) returns None.
"""

from __future__ import annotations

import libcst as cst
from libcst.metadata import Assignment

from firstpatch.patch._source import SourceFile
from firstpatch.patch._strings import Built, Text, Value, decompose

# The flag after which a shell's next argument is the command it runs.
_SHELL_FLAGS = frozenset({"-c", "/c", "/C"})
_OPEN_QUOTES = ("'", '"')


def assembled_strings(source: SourceFile, name: cst.Name, sink: cst.Call) -> list[Built] | None:
    """The pieces with pasted values of a command variable assembled with `=` and `+=`."""
    scope = source.scope(name)
    if scope is None or source.function_of(name) is None:
        return None
    pieces: list[Built] = []
    for binding in scope.assignments[name.value]:
        if not isinstance(binding, Assignment) or binding.node not in source.positions:
            return None
        if source.start(binding.node) > source.start(sink):
            return None  # rebound after the sink: not a simple build-up
        value = _assigned_value(source, binding.node)
        if value is None:
            return None
        built = decompose(value)
        if built is not None:
            if not _closed(built):
                return None
            pieces.append(built)
        elif _text_of(value) is not None:
            if not _plain_text(value):
                return None
        elif isinstance(source.parents.get(binding.node), cst.AugAssign):
            # `cmd += name`: the value alone is shell text (`+=` onto text: it is a str).
            pieces.append(Built(value, (Value(value, converted=False),), '"'))
        else:
            return None
    return pieces


def shell_command_strings(source: SourceFile, node: cst.BaseExpression, sink: cst.Call) -> list[Built] | None:
    """The strings with pasted values that follow a shell's `-c` in an argument list."""
    elements = _elements(source, node, sink)
    if elements is None:
        return None
    flags = [i for i, element in enumerate(elements) if _text_of(element) in _SHELL_FLAGS]
    if not flags:
        return None
    pieces: list[Built] = []
    for element in elements[flags[0] + 1 :]:
        built = decompose(element)
        if built is not None:
            if not _closed(built):
                return None
            pieces.append(built)
    return pieces


def _elements(
    source: SourceFile, node: cst.BaseExpression, sink: cst.Call
) -> list[cst.BaseExpression] | None:
    """The list's elements in the order they are added: written out, then appended."""
    if isinstance(node, cst.List):
        if any(isinstance(element, cst.StarredElement) for element in node.elements):
            return None
        return [element.value for element in node.elements]
    if not isinstance(node, cst.Name):
        return None
    assign = source.single_assignment(node)
    if assign is None or not isinstance(assign.value, cst.List):
        return None
    elements = _elements(source, assign.value, sink)
    if elements is None:
        return None
    appended: list[tuple[tuple[int, int], cst.BaseExpression]] = []
    for read in source.reads(node):
        if read is node:
            continue
        attribute = source.parents.get(read)
        call = source.parents.get(attribute) if isinstance(attribute, cst.Attribute) else None
        if not (
            isinstance(attribute, cst.Attribute)
            and attribute.attr.value == "append"
            and isinstance(call, cst.Call)
            and len(call.args) == 1
            and call.args[0].keyword is None
            and not call.args[0].star
            and isinstance(source.parents.get(call), cst.Expr)
            and source.start(call) < source.start(sink)
        ):
            return None  # read or changed some other way
        appended.append((source.start(call), call.args[0].value))
    return elements + [value for _, value in sorted(appended, key=lambda item: item[0])]


def _assigned_value(source: SourceFile, target: cst.CSTNode) -> cst.BaseExpression | None:
    """The value of `name = value` or `name += value` binding `target`."""
    parent = source.parents.get(target)
    if isinstance(parent, cst.AssignTarget):
        assign = source.parents.get(parent)
        return assign.value if isinstance(assign, cst.Assign) and len(assign.targets) == 1 else None
    if isinstance(parent, cst.AugAssign) and isinstance(parent.operator, cst.AddAssign):
        return parent.value
    return None


def _text_of(node: cst.BaseExpression) -> str | None:
    value = node.evaluated_value if isinstance(node, cst.SimpleString | cst.ConcatenatedString) else None
    return value if isinstance(value, str) else None


def _plain_text(node: cst.BaseExpression) -> bool:
    text = _text_of(node)
    return text is not None and all(text.count(quote) % 2 == 0 for quote in _OPEN_QUOTES)


def _closed(built: Built) -> bool:
    """No shell quote left open by the piece's own text (values count as unquoted)."""
    text = "".join(part.value for part in built.parts if isinstance(part, Text))
    return all(text.count(quote) % 2 == 0 for quote in _OPEN_QUOTES)
