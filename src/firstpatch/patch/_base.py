"""What every codemod fixer shares: reading and parsing the sink's file, rendering the result."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Iterator

import libcst as cst

from firstpatch.model import Finding, Location
from firstpatch.patch._edit import Editor
from firstpatch.patch._source import SourceFile
from firstpatch.patch.interface import FileChange, Fix, Fixer, Reader


class CodemodFixer(Fixer):
    def fix(self, finding: Finding, read: Reader) -> Fix | None:
        if finding.cwe not in self.cwes:
            return None
        path = finding.location.path
        text = read(path)
        source = SourceFile.parse(path, text) if text is not None else None
        if source is None:
            return None
        return self.fix_source(source, finding, read)

    @abstractmethod
    def fix_source(self, source: SourceFile, finding: Finding, read: Reader) -> Fix | None:
        """The fix for the sink in `source`, the parsed file at `finding.location.path`."""


def finish(description: str, *editors: Editor) -> Fix | None:
    """The fix made of every editor's changes; None when nothing changed."""
    changes = []
    for editor in editors:
        after = editor.render()
        if after != editor.source.text:
            changes.append(FileChange(editor.source.path, editor.source.text, after))
    if not changes:
        return None
    return Fix(tuple(changes), description)


def argument(call: cst.Call, index: int, *keywords: str) -> cst.Arg | None:
    """The argument passed at position `index` or by one of `keywords`."""
    for position, arg in enumerate(call.args):
        if arg.keyword is not None:
            break
        if arg.star:
            return None  # `f(*args)`: positions after it are unknown
        if position == index:
            return arg
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value in keywords:
            return arg
    return None


def keyword(call: cst.Call, name: str) -> cst.Arg | None:
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == name:
            return arg
    return None


def with_arg(call: cst.Call, arg: cst.Arg) -> cst.Call:
    """`call` with `arg` appended, in the call's layout: on one line, or one argument per
    line (with a trailing comma) when the arguments start on a line of their own."""
    if not call.args:
        return call.with_changes(args=[arg])
    last = call.args[-1]
    # The whitespace before `)`: after the last comma if there is one, else after the argument.
    closing = last.comma.whitespace_after if isinstance(last.comma, cst.Comma) else last.whitespace_after_arg
    opening = call.whitespace_before_args
    no_space = cst.SimpleWhitespace("")
    if isinstance(opening, cst.ParenthesizedWhitespace) and isinstance(closing, cst.ParenthesizedWhitespace):
        # A comment after `(` stays there; the new line only repeats the indentation.
        between = opening.with_changes(first_line=cst.TrailingWhitespace(), empty_lines=())
        moved = last.with_changes(comma=cst.Comma(no_space, between), whitespace_after_arg=no_space)
        arg = arg.with_changes(comma=cst.Comma(no_space, closing))
    else:
        moved = last.with_changes(
            comma=cst.Comma(no_space, cst.SimpleWhitespace(" ")), whitespace_after_arg=no_space
        )
        arg = arg.with_changes(whitespace_after_arg=closing)
    return call.with_changes(args=[*call.args[:-1], moved, arg])


def without_arg(call: cst.Call, arg: cst.Arg) -> cst.Call:
    """`call` without `arg`; the comma before a removed last argument goes with it."""
    args = [other for other in call.args if other is not arg]
    if args and call.args[-1] is arg:
        args[-1] = args[-1].with_changes(comma=arg.comma, whitespace_after_arg=arg.whitespace_after_arg)
    return call.with_changes(args=args)


def keyword_arg(name: str, value: cst.BaseExpression) -> cst.Arg:
    """`name=value`, spaced as PEP 8 spaces keywords."""
    no_space = cst.SimpleWhitespace("")
    return cst.Arg(value, keyword=cst.Name(name), equal=cst.AssignEqual(no_space, no_space))


def callee(call: cst.Call) -> str | None:
    """The called function's own name: `f` for `f(x)` and `obj.f(x)`."""
    if isinstance(call.func, cst.Name):
        return call.func.value
    if isinstance(call.func, cst.Attribute):
        return call.func.attr.value
    return None


def names_in(node: cst.CSTNode) -> Iterator[cst.Name]:
    """The variables `node` reads (for `a.b`, only `a`)."""
    if isinstance(node, cst.Name):
        yield node
    elif isinstance(node, cst.Attribute):
        yield from names_in(node.value)
    else:
        for child in node.children:
            yield from names_in(child)


def is_true(node: cst.BaseExpression) -> bool:
    return isinstance(node, cst.Name) and node.value == "True"


def rebound_between(source: SourceFile, node: cst.CSTNode, start: cst.CSTNode, end: cst.CSTNode) -> bool:
    """True when a variable `node` reads is assigned again between `start` and `end`: moving
    `node` from `start` to `end` would then change what it evaluates to."""
    first, last = source.start(start), source.start(end)
    for name in names_in(node):
        for binding in source.bindings(name):
            if binding in source.positions and first < source.start(binding) < last:
                return True
    return False


def set_keyword(call: cst.Call, name: str, value: cst.BaseExpression) -> cst.Call:
    """`call` with `name=value`: the existing keyword's value replaced, or the keyword added."""
    found = keyword(call, name)
    if found is not None:
        return call.with_changes(args=[a.with_changes(value=value) if a is found else a for a in call.args])
    return with_arg(call, keyword_arg(name, value))


def calls_in(source: SourceFile, location: Location) -> list[cst.Call]:
    """The calls spanning exactly `location`, innermost first."""
    return source.nodes_at(location, cst.Call)
