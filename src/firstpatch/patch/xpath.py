"""CWE-643: an XPath expression built by pasting values → XPath variables.

`root.xpath(f"//user[@name='{name}']")` → `root.xpath("//user[@name=$name]", name=name)`:
each value that the expression quotes becomes a variable (`$name`), which XPath compares as a
string whatever it holds, so a quote in it cannot change the query. lxml passes variables as
keywords to `.xpath(...)` and to each evaluation of a compiled `etree.XPath(...)` in the same
function; elementpath takes them as `variables={...}`. A value outside quotes (a step, a
function name) cannot be a variable: no fix.
"""

from __future__ import annotations

import libcst as cst

from firstpatch.model import Finding
from firstpatch.patch._base import (
    CodemodFixer,
    argument,
    callee,
    finish,
    keyword_arg,
    rebound_between,
    with_arg,
)
from firstpatch.patch._edit import Editor
from firstpatch.patch._naming import value_name
from firstpatch.patch._source import SourceFile
from firstpatch.patch._strings import Built, Text, decompose, string_literal
from firstpatch.patch.interface import Fix, Reader

_COMPILED = frozenset({"lxml.etree.XPath", "lxml.etree.ETXPath"})
_ELEMENTPATH = frozenset({"elementpath.select", "elementpath.iter_select"})
# Keywords `.xpath()` takes for itself: a variable cannot have these names.
_LXML_RESERVED = frozenset({"namespaces", "extensions", "smart_strings", "_path"})


class XPathFixer(CodemodFixer):
    cwes = frozenset({643})

    def fix_source(self, source: SourceFile, finding: Finding, read: Reader) -> Fix | None:
        call = source.call_at(finding.location)
        if call is None:
            return None
        names = source.qualified_names(call.func)
        elementpath = bool(names & _ELEMENTPATH)
        query = argument(call, 1, "path") if elementpath else argument(call, 0, "_path", "path")
        if query is None or query.star:
            return None
        assign: cst.Assign | None = None
        built = decompose(query.value)
        if built is None and isinstance(query.value, cst.Name):
            assign = source.single_assignment(query.value)
            built = decompose(assign.value) if assign is not None else None
            if (
                assign is not None
                and built is not None
                and rebound_between(source, assign.value, assign, call)
            ):
                return None
        if built is None:
            return None
        template = _template(built)
        if template is None:
            return None
        text, variables = template
        evaluations = [call]
        if names & _COMPILED:
            found = _evaluations(source, call)
            if not found:
                return None
            evaluations = found
        elif not elementpath and callee(call) != "xpath":
            return None
        editor = Editor(source)
        literal = string_literal(text, built.quote if len(built.quote) == 1 else '"')
        if assign is not None:
            editor.replace(assign.value, literal)
        new_call = call.with_changes(
            args=[
                arg.with_changes(value=literal) if arg is query and assign is None else arg
                for arg in call.args
            ]
        )
        for evaluation in evaluations:
            target = new_call if evaluation is call else evaluation
            if elementpath:
                mapping = cst.Dict(
                    [cst.DictElement(string_literal(name), value) for name, value in variables]
                )
                target = with_arg(target, keyword_arg("variables", mapping))
            else:
                for name, value in variables:
                    target = with_arg(target, keyword_arg(name, value))
            editor.replace(evaluation, target)
        if call not in evaluations and not new_call.deep_equals(call):
            editor.replace(call, new_call)
        shown = ", ".join(f"`{name}`" for name, _ in variables)
        return finish(f"Pass {shown} as XPath variables instead of pasting into the expression", editor)


def _template(built: Built) -> tuple[str, list[tuple[str, cst.BaseExpression]]] | None:
    """The expression with each quoted value replaced by `$name`, and the variables."""
    parts = list(built.parts)
    text = ""
    variables: list[tuple[str, cst.BaseExpression]] = []
    for index, part in enumerate(parts):
        if isinstance(part, Text):
            continue
        before = parts[index - 1] if index else None
        after = parts[index + 1] if index + 1 < len(parts) else None
        if not (isinstance(before, Text) and isinstance(after, Text)):
            return None
        quote = before.value[-1:] if before.value else ""
        if quote not in ("'", '"') or not after.value.startswith(quote) or part.conversion or part.spec:
            return None
        parts[index - 1] = Text(before.value[:-1])
        parts[index + 1] = Text(after.value[1:])
        name = value_name(part.expression, _LXML_RESERVED | {n for n, _ in variables})
        variables.append((name, part.expression))
        parts[index] = Text("$" + name)
    for part in parts:
        assert isinstance(part, Text)  # noqa: S101 -- every value was replaced above
        text += part.value
    return text, variables


def _evaluations(source: SourceFile, compiled: cst.Call) -> list[cst.Call]:
    """The calls of the variable a compiled `XPath(...)` is assigned to, in its function."""
    statement = source.parents.get(compiled)
    if not (isinstance(statement, cst.Assign) and len(statement.targets) == 1):
        return []
    target = statement.targets[0].target
    if not isinstance(target, cst.Name) or len(source.bindings(target)) != 1:
        return []
    calls = []
    for read in source.reads(target):
        call = source.parents.get(read)
        if not (isinstance(call, cst.Call) and call.func is read) or any(arg.star for arg in call.args):
            return []
        calls.append(call)
    return calls
