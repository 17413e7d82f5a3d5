"""CWE-1336: a template compiled from text that holds input → a fixed template, the input as
its context.

`render_template_string(f"<h1>Hello {name}</h1>")` → `render_template_string("<h1>Hello
{{ name }}</h1>", name=name)`: the literal parts stay template text (they were template text
before), each pasted value becomes a variable of the template, and Jinja renders it as data —
escaped, where the environment autoescapes, as Flask's does. Text that is all input becomes
`"{{ text }}"`. The same for `jinja2.Template(...)` and `Environment.from_string(...)` when
`.render(...)` is called on the result right there, where the variables are passed instead.
"""

from __future__ import annotations

import libcst as cst

from firstpatch.model import Finding
from firstpatch.patch._base import CodemodFixer, argument, callee, finish, keyword_arg, with_arg
from firstpatch.patch._edit import Editor
from firstpatch.patch._naming import value_name
from firstpatch.patch._source import SourceFile
from firstpatch.patch._strings import Text, Value, decompose, string_literal
from firstpatch.patch.interface import Fix, Reader

_RENDERS_HERE = frozenset({"render_template_string"})


class TemplateFixer(CodemodFixer):
    cwes = frozenset({1336})

    def fix_source(self, source: SourceFile, finding: Finding, read: Reader) -> Fix | None:
        call = source.call_at(finding.location)
        template = argument(call, 0, "source") if call is not None else None
        if call is None or template is None or template.star:
            return None
        receiver = call if callee(call) in _RENDERS_HERE else _render_call(source, call)
        if receiver is None:
            return None
        taken = {arg.keyword.value for arg in receiver.args if arg.keyword is not None}
        parts = _parts(template.value)
        text = ""
        variables: list[tuple[str, cst.BaseExpression]] = []
        for part in parts:
            if isinstance(part, Text):
                text += part.value
                continue
            if part.conversion or part.spec:
                return None
            name = value_name(part.expression, taken | {n for n, _ in variables})
            variables.append((name, part.expression))
            text += "{{ " + name + " }}"
        quote = template.value.quote if isinstance(template.value, cst.SimpleString) else '"'
        fixed = template.with_changes(value=string_literal(text, quote))
        editor = Editor(source)
        args = [fixed if arg is template else arg for arg in call.args]
        if receiver is call:
            new = call.with_changes(args=args)
            for name, value in variables:
                new = with_arg(new, keyword_arg(name, value))
            editor.replace(call, new)
        else:
            rendered = receiver
            for name, value in variables:
                rendered = with_arg(rendered, keyword_arg(name, value))
            inner = call.with_changes(args=args)
            assert isinstance(rendered.func, cst.Attribute)  # noqa: S101 -- _render_call checked it
            editor.replace(receiver, rendered.with_changes(func=rendered.func.with_changes(value=inner)))
        names = ", ".join(f"`{name}`" for name, _ in variables)
        return finish(f"Render a fixed template and pass {names} to it as data", editor)


def _parts(node: cst.BaseExpression) -> list[Text | Value]:
    built = decompose(node)
    if built is not None:
        return list(built.parts)
    return [Value(node, converted=False)]


def _render_call(source: SourceFile, call: cst.Call) -> cst.Call | None:
    """`Template(src).render(...)`: the render call made on `call`'s result, right there."""
    attribute = source.parents.get(call)
    render = source.parents.get(attribute) if isinstance(attribute, cst.Attribute) else None
    if (
        isinstance(attribute, cst.Attribute)
        and attribute.attr.value == "render"
        and isinstance(render, cst.Call)
        and render.func is attribute
        and not any(arg.star for arg in render.args)
    ):
        return render
    return None
