"""CWE-22: a file path joined from a base folder and input → resolved and checked first.

`open(os.path.join(BASE, name))` (the join inline, or in a local variable set once) gets a
containment check as the statement before the one that uses the path:

* in a Flask or Werkzeug module, `werkzeug.security.safe_join`, which returns None for
  anything that would leave the base (`..`, absolute paths, drive letters), then
  `abort(404)` — the answer the app gives for any other missing file;
* elsewhere, `os.path.realpath` on both sides and an `os.path.commonpath` comparison,
  raising ValueError, since there is no HTTP answer to give.

The join's first argument is taken as the trusted base; when the trace shows the input
flowing through it, there is no base to check against and no fix.
"""

from __future__ import annotations

import libcst as cst
from libcst.helpers import parse_template_statement

from firstpatch.model import Finding
from firstpatch.patch._base import CodemodFixer, argument, finish, names_in
from firstpatch.patch._edit import Editor
from firstpatch.patch._source import SourceFile
from firstpatch.patch.interface import Fix, Reader

_JOINS = frozenset({"os.path.join", "posixpath.join", "ntpath.join"})
_PATH_KEYWORDS = ("file", "path", "filename", "path_or_file", "src", "name")


class PathFixer(CodemodFixer):
    cwes = frozenset({22})

    def fix_source(self, source: SourceFile, finding: Finding, read: Reader) -> Fix | None:
        call = source.call_at(finding.location)
        arg = argument(call, 0, *_PATH_KEYWORDS) if call is not None else None
        if call is None or arg is None:
            return None
        join, assign = _join(source, arg.value)
        if join is None or not _joins_onto_base(source, join, finding):
            return None
        anchor = source.statement_of(assign if assign is not None else call)
        if anchor is None:
            return None
        editor = Editor(source)
        if editor.imports_module("flask") or editor.imports_module("werkzeug"):
            done = _safe_join(editor, join, assign, anchor)
            description = "Join the name with werkzeug's safe_join and answer 404 when it leaves the folder"
        else:
            done = _realpath_check(editor, join, assign, anchor)
            description = "Resolve the path and refuse it unless it stays inside its base folder"
        return finish(description, editor) if done else None


def _join(source: SourceFile, node: cst.BaseExpression) -> tuple[cst.Call | None, cst.Assign | None]:
    """The `os.path.join(...)` call building the path, and the assignment holding it."""
    if isinstance(node, cst.Call) and source.qualified_names(node.func) & _JOINS:
        return node, None
    assign = source.single_assignment(node) if isinstance(node, cst.Name) else None
    value = assign.value if assign is not None else None
    if isinstance(value, cst.Call) and source.qualified_names(value.func) & _JOINS:
        return value, assign
    return None, None


def _joins_onto_base(source: SourceFile, join: cst.Call, finding: Finding) -> bool:
    """At least two plain arguments, and no sign in the trace that the input flows through
    the first: no step inside it, nor at an assignment of a variable it reads."""
    if len(join.args) < 2 or any(arg.keyword is not None for arg in join.args) or join.args[0].star:
        return False
    base = join.args[0].value
    where = source.positions[base]
    inside = ((where.start.line, where.start.column), (where.end.line, where.end.column))
    assigned = {
        source.start(binding)
        for name in names_in(base)
        for binding in source.bindings_besides_parameter(name)
    }
    for step in finding.trace:
        if step.location.path != source.path:
            continue
        start = (step.location.line, step.location.column - 1)
        if inside[0] <= start < inside[1] or start in assigned:
            return False
    return True


def _target(assign: cst.Assign) -> cst.Name | None:
    target = assign.targets[0].target
    return target if isinstance(target, cst.Name) else None


def _safe_join(editor: Editor, join: cst.Call, assign: cst.Assign | None, anchor: cst.BaseStatement) -> bool:
    source = editor.source
    also_abort = () if editor.imports_module("flask") else ("werkzeug.exceptions.abort",)
    module = "flask" if editor.imports_module("flask") else "werkzeug.exceptions"
    safe_join = editor.ref(
        "werkzeug.security", "safe_join", join, prefer_from=True, also=("werkzeug.utils.safe_join",)
    )
    abort = editor.ref(module, "abort", join, prefer_from=True, also=also_abort)
    if safe_join is None or abort is None:
        return False
    joined = join.with_changes(func=safe_join)
    config = source.module.config_for_parsing
    if assign is not None:
        name = _target(assign)
        if name is None:
            return False
        editor.replace(join, joined)
        editor.insert_after(anchor, _abort_unless(name, abort, config))
        return True
    name = cst.Name(source.fresh_name("path", join))
    editor.insert_before(
        anchor,
        parse_template_statement("{name} = {joined}\n", config, name=name, joined=joined),
        _abort_unless(name, abort, config),
    )
    editor.replace(join, name)
    return True


def _abort_unless(
    name: cst.Name, abort: cst.BaseExpression, config: cst.PartialParserConfig
) -> cst.BaseStatement:
    return parse_template_statement("if {name} is None:\n    {abort}(404)\n", config, name=name, abort=abort)


def _realpath_check(
    editor: Editor, join: cst.Call, assign: cst.Assign | None, anchor: cst.BaseStatement
) -> bool:
    source = editor.source
    realpath = editor.ref("os.path", "realpath", join)
    commonpath = editor.ref("os.path", "commonpath", join)
    if realpath is None or commonpath is None:
        return False
    config = source.module.config_for_parsing
    base = cst.Name(source.fresh_name("base", join))
    first, *rest = join.args
    resolved = cst.Call(realpath, [cst.Arg(join.with_changes(args=[first.with_changes(value=base), *rest]))])
    base_line = parse_template_statement(
        "{base} = {realpath}({folder})\n", config, base=base, realpath=realpath, folder=first.value
    )
    if assign is not None:
        name = _target(assign)
        if name is None:
            return False
        editor.insert_before(anchor, base_line)
        editor.replace(join, resolved)
        following: list[cst.BaseStatement] = []
    else:
        name = cst.Name(source.fresh_name("path", join))
        following = [parse_template_statement("{name} = {resolved}\n", config, name=name, resolved=resolved)]
    check = parse_template_statement(
        'if {commonpath}(({base}, {name})) != {base}:\n    raise ValueError("path leaves its base folder")\n',
        config,
        commonpath=commonpath,
        base=base,
        name=name,
    )
    if assign is not None:
        editor.insert_after(anchor, check)
    else:
        editor.insert_before(anchor, base_line, *following, check)
        editor.replace(join, name)
    return True
