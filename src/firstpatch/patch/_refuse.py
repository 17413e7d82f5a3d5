"""A check placed before a sink: `if <bad>: <refuse>`, where refusing is the answer the
framework gives for a bad request (400), or a ValueError outside any framework."""

from __future__ import annotations

import libcst as cst
from libcst.helpers import parse_template_statement

from firstpatch.model import Finding
from firstpatch.patch._edit import Editor

# The framework of an entry point → (module, name, call template) that refuses the request.
_REFUSALS: dict[str, tuple[str, str, str]] = {
    "flask": ("flask", "abort", "{refuse}(400)"),
    "django": ("django.core.exceptions", "DisallowedRedirect", '{refuse}("{why}")'),
    "fastapi": ("fastapi", "HTTPException", "{refuse}(status_code=400)"),
    "starlette": ("starlette.exceptions", "HTTPException", "{refuse}(status_code=400)"),
    "aiohttp": ("aiohttp.web", "HTTPBadRequest", "{refuse}()"),
    "tornado": ("tornado.web", "HTTPError", "{refuse}(400)"),
}
_RAISES = frozenset({"django", "fastapi", "starlette", "aiohttp", "tornado"})


def framework_of(editor: Editor, finding: Finding) -> str:
    """The web framework serving the finding: its entry point's, else the one the file imports."""
    if finding.entry_point is not None and finding.entry_point.framework in _REFUSALS:
        framework = finding.entry_point.framework
        if framework == "fastapi" and not editor.imports_module("fastapi"):
            return "starlette"
        return framework
    for framework in ("flask", "django", "fastapi", "starlette", "aiohttp", "tornado"):
        if editor.imports_module(framework):
            return framework
    return ""


def refusal(editor: Editor, at: cst.CSTNode, framework: str, why: str) -> str | None:
    """The statement text that refuses the request (`abort(400)`, `raise HTTPException(...)`),
    with the import it needs; None when the names it needs are taken."""
    if framework not in _REFUSALS:
        return f'raise ValueError("{why}")'
    module, name, template = _REFUSALS[framework]
    if framework == "django" and name == "DisallowedRedirect" and "redirect" not in why:
        module, name = "django.core.exceptions", "SuspiciousOperation"
    ref = editor.ref(module, name, at, prefer_from=True)
    if ref is None:
        return None
    called = template.format(refuse=cst.Module([]).code_for_node(ref), why=why)
    return f"raise {called}" if framework in _RAISES else called


def guard(editor: Editor, condition: str, action: str, **nodes: cst.BaseExpression) -> cst.BaseStatement:
    """`if <condition>:\n    <action>` with `nodes` substituted into the condition."""
    config = editor.source.module.config_for_parsing
    escaped = action.replace("{", "{{").replace("}", "}}")
    return parse_template_statement(f"if {condition}:\n    {escaped}\n", config, **nodes)


def bound(
    editor: Editor, value: cst.BaseExpression, anchor: cst.BaseStatement, wanted: str
) -> tuple[cst.Name, list[cst.BaseStatement]]:
    """A name holding `value` at `anchor`: the value itself when it is a plain variable, else
    a fresh variable assigned before `anchor` (returned as the statements to insert)."""
    if isinstance(value, cst.Name):
        return value, []
    name = cst.Name(editor.source.fresh_name(wanted, value))
    config = editor.source.module.config_for_parsing
    moved = value
    if not value.lpar and ("\n" in editor.source.code(value) or isinstance(value, cst.GeneratorExp)):
        # Brackets it relied on stay behind: a generator needs its own, and so does a
        # continuation line.
        moved = value.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
    assign = parse_template_statement("{name} = {value}\n", config, name=name, value=moved)
    editor.replace(value, name)
    return name, [assign]
