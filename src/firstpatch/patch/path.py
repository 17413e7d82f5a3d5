"""CWE-22: a file path joined from a base folder and input → resolved and checked first.

The path may be joined three ways, inline or in a local variable the sink reads:

* `os.path.join(BASE, name)`;
* a string template whose text starts with the base: `f"{BASE}/{name}"`, `BASE + "/" + name`,
  `"{}/{}".format(BASE, name)`, or a literal folder, `f"uploads/{name}"`;
* pathlib's `/`: `Path(BASE) / name`, or a variable holding a `Path(...)` divided by the input,
  used as an argument (`open(p)`) or as the receiver of the sink (`p.read_text()`).

A joined string gets a containment check as the statement before the one that uses it:

* in a Flask or Werkzeug module, `werkzeug.security.safe_join`, which returns None for
  anything that would leave the base (`..`, absolute paths, drive letters), then
  `abort(404)` — the answer the app gives for any other missing file;
* elsewhere, `os.path.realpath` on both sides and an `os.path.commonpath` comparison,
  raising ValueError, since there is no HTTP answer to give.

A template becomes the join it stands for (`safe_join(BASE, name)`): a value pasted as plain
`{name}` is passed as it is, since a path part is text. A `Path` keeps its type and value: in
web code it is built from the checked join (`Path(path)` after `path = safe_join(base, name)`),
elsewhere the resolve-and-compare check is written in pathlib's words,
`path.resolve().is_relative_to(base.resolve())`, raising ValueError. safe_join reads the parts
as text; resolving touches the file system with the path, which in web code would let a request
probe for files outside the folder.

The base is taken as trusted; when the trace shows the input flowing through it, there is no
base to check against and no fix.
"""

from __future__ import annotations

from dataclasses import dataclass

import libcst as cst
from libcst.helpers import parse_template_expression, parse_template_statement

from firstpatch.model import Finding
from firstpatch.patch._base import CodemodFixer, argument, finish, names_in
from firstpatch.patch._edit import Editor
from firstpatch.patch._source import SourceFile
from firstpatch.patch._strings import Text, Value, decompose, fstring, string_literal
from firstpatch.patch.interface import Fix, Reader

_JOINS = frozenset({"os.path.join", "posixpath.join", "ntpath.join"})
_PATH_TYPES = frozenset({"pathlib.Path", "pathlib.PosixPath", "pathlib.WindowsPath"})
_PATH_KEYWORDS = ("file", "path", "filename", "path_or_file", "src", "name")
_LEAVES = "path leaves its base folder"


@dataclass(frozen=True, slots=True)
class _Joined:
    """A string path built from a base and the parts below it."""

    node: cst.BaseExpression  # the expression building it
    base: cst.BaseExpression
    rest: tuple[cst.BaseExpression, ...]
    join: cst.Call | None = None  # the `os.path.join` call itself, kept as written


@dataclass(frozen=True, slots=True)
class _Divided:
    """A `Path` built with `/` from a base `Path`."""

    node: cst.BinaryOperation
    base: cst.BaseExpression  # the leftmost operand


class PathFixer(CodemodFixer):
    cwes = frozenset({22})

    def fix_source(self, source: SourceFile, finding: Finding, read: Reader) -> Fix | None:
        call = source.call_at(finding.location)
        if call is None:
            return None
        arg = argument(call, 0, *_PATH_KEYWORDS)
        used = [arg.value] if arg is not None else []
        if isinstance(call.func, cst.Attribute):
            used.append(call.func.value)  # `p.read_text()`: the path is the receiver
        for node in used:
            fix = _fix_path(source, finding, call, node)
            if fix is not None:
                return fix
        return None


def _fix_path(source: SourceFile, finding: Finding, call: cst.Call, node: cst.BaseExpression) -> Fix | None:
    built, assign = _building(source, node)
    if built is None or not _trusted(source, built.base, finding):
        return None
    anchor = source.statement_of(assign if assign is not None else call)
    if anchor is None:
        return None
    editor = Editor(source)
    web = editor.imports_module("flask") or editor.imports_module("werkzeug")
    if isinstance(built, _Divided) and web:
        done = _safe_join_path(editor, built, anchor)
        description = "Join the name with werkzeug's safe_join and answer 404 when it leaves the folder"
    elif isinstance(built, _Divided):
        done = _resolved_check(editor, built, assign, anchor)
        description = "Resolve the path and refuse it unless it stays inside its base folder"
    elif web:
        done = _safe_join(editor, built, assign, anchor)
        description = "Join the name with werkzeug's safe_join and answer 404 when it leaves the folder"
    else:
        done = _realpath_check(editor, built, assign, anchor)
        description = "Resolve the path and refuse it unless it stays inside its base folder"
    return finish(description, editor) if done else None


def _building(
    source: SourceFile, node: cst.BaseExpression
) -> tuple[_Joined | _Divided | None, cst.Assign | None]:
    """How the path `node` (or the local variable it reads) was built, and the assignment."""
    built = _built(source, node)
    if built is not None:
        return built, None
    assign = source.assignment_reaching(node) if isinstance(node, cst.Name) else None
    if assign is None:
        return None, None
    return _built(source, assign.value), assign


def _built(source: SourceFile, node: cst.BaseExpression) -> _Joined | _Divided | None:
    if isinstance(node, cst.Call) and source.qualified_names(node.func) & _JOINS:
        if len(node.args) < 2 or any(arg.keyword is not None or arg.star for arg in node.args):
            return None
        return _Joined(node, node.args[0].value, tuple(arg.value for arg in node.args[1:]), node)
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Divide):
        base = node.left
        while isinstance(base, cst.BinaryOperation) and isinstance(base.operator, cst.Divide):
            base = base.left
        return _Divided(node, base) if source.calls_one_of(base, _PATH_TYPES) else None
    return _template(node)


def _template(node: cst.BaseExpression) -> _Joined | None:
    """`f"{BASE}/{name}"` or `f"uploads/{name}"` as the base and what is joined below it."""
    built = decompose(node)
    if built is None:
        return None
    first, *after = built.parts
    base: cst.BaseExpression
    if isinstance(first, Value) and after and isinstance(after[0], Text) and after[0].value.startswith("/"):
        if first.conversion is not None or first.spec:
            return None
        base, below = first.expression, [Text(after[0].value.lstrip("/")), *after[1:]]
    elif isinstance(first, Text) and "/" in first.value:
        folder, _, tail = first.value.rpartition("/")
        if not folder.strip("/"):
            return None  # no folder, or the root, which contains everything
        base, below = string_literal(folder, built.quote), [Text(tail), *after]
    else:
        return None
    parts = [part for part in below if not (isinstance(part, Text) and not part.value)]
    if not any(isinstance(part, Value) for part in parts):
        return None
    single = parts[0] if len(parts) == 1 else None
    if isinstance(single, Value) and single.conversion is None and not single.spec:
        rest: cst.BaseExpression | None = single.expression
    else:
        rest = fstring(parts, built.quote if len(built.quote) == 1 else built.quote[0])
    return _Joined(node, base, (rest,)) if rest is not None else None


def _trusted(source: SourceFile, base: cst.BaseExpression, finding: Finding) -> bool:
    """No sign in the trace that the input flows through the base: no step inside it, nor
    at an assignment of a variable it reads."""
    if base not in source.positions:
        return True  # a folder written as a literal in the template
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


def _abort(editor: Editor, at: cst.CSTNode) -> cst.BaseExpression | None:
    """`abort` from flask (or werkzeug), imported once."""
    flask = editor.imports_module("flask")
    also = () if flask else ("werkzeug.exceptions.abort",)
    return editor.ref("flask" if flask else "werkzeug.exceptions", "abort", at, prefer_from=True, also=also)


def _joined_with(built: _Joined, func: cst.BaseExpression, base: cst.BaseExpression) -> cst.Call:
    """`func(base, *rest)`: the join as written when there was one, else a new call."""
    if built.join is not None:
        first, *others = built.join.args
        return built.join.with_changes(func=func, args=[first.with_changes(value=base), *others])
    comma = cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
    args = [cst.Arg(base, comma=comma), *(cst.Arg(part, comma=comma) for part in built.rest)]
    args[-1] = args[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
    return cst.Call(func, args)


def _safe_join(editor: Editor, built: _Joined, assign: cst.Assign | None, anchor: cst.BaseStatement) -> bool:
    source = editor.source
    safe_join = editor.ref(
        "werkzeug.security", "safe_join", built.node, prefer_from=True, also=("werkzeug.utils.safe_join",)
    )
    abort = _abort(editor, built.node)
    if safe_join is None or abort is None:
        return False
    joined = _joined_with(built, safe_join, built.base)
    config = source.module.config_for_parsing
    if assign is not None:
        name = _target(assign)
        if name is None:
            return False
        editor.replace(built.node, joined)
        editor.insert_after(anchor, _abort_unless(name, abort, config))
        return True
    name = cst.Name(source.fresh_name("path", built.node))
    editor.insert_before(
        anchor,
        parse_template_statement("{name} = {joined}\n", config, name=name, joined=joined),
        _abort_unless(name, abort, config),
    )
    editor.replace(built.node, name)
    return True


def _abort_unless(
    name: cst.Name, abort: cst.BaseExpression, config: cst.PartialParserConfig
) -> cst.BaseStatement:
    return parse_template_statement("if {name} is None:\n    {abort}(404)\n", config, name=name, abort=abort)


def _realpath_check(
    editor: Editor, built: _Joined, assign: cst.Assign | None, anchor: cst.BaseStatement
) -> bool:
    source = editor.source
    realpath = editor.ref("os.path", "realpath", built.node)
    commonpath = editor.ref("os.path", "commonpath", built.node)
    join = built.join.func if built.join is not None else editor.ref("os.path", "join", built.node)
    if realpath is None or commonpath is None or join is None:
        return False
    config = source.module.config_for_parsing
    base = cst.Name(source.fresh_name("base", built.node))
    resolved = cst.Call(realpath, [cst.Arg(_joined_with(built, join, base))])
    base_line = parse_template_statement(
        "{base} = {realpath}({folder})\n", config, base=base, realpath=realpath, folder=built.base
    )
    if assign is not None:
        name = _target(assign)
        if name is None:
            return False
        editor.insert_before(anchor, base_line)
        editor.replace(built.node, resolved)
        following: list[cst.BaseStatement] = []
    else:
        name = cst.Name(source.fresh_name("path", built.node))
        following = [parse_template_statement("{name} = {resolved}\n", config, name=name, resolved=resolved)]
    check = parse_template_statement(
        "if {commonpath}(({base}, {name})) != {base}:\n    raise ValueError({why})\n",
        config,
        commonpath=commonpath,
        base=base,
        name=name,
        why=cst.SimpleString(f'"{_LEAVES}"'),
    )
    if assign is not None:
        editor.insert_after(anchor, check)
    else:
        editor.insert_before(anchor, base_line, *following, check)
        editor.replace(built.node, name)
    return True


def _resolved_check(
    editor: Editor, built: _Divided, assign: cst.Assign | None, anchor: cst.BaseStatement
) -> bool:
    """`if not path.resolve().is_relative_to(base.resolve()):` refuse, after the path is built."""
    source = editor.source
    config = source.module.config_for_parsing
    before: list[cst.BaseStatement] = []
    base = built.base
    node: cst.BaseExpression = built.node
    if not _plain(base):
        # Evaluated once, as before: a name for it, used in the path and in the check.
        name = cst.Name(source.fresh_name("base", built.node))
        before.append(parse_template_statement("{name} = {value}\n", config, name=name, value=base))
        replaced = built.node.deep_replace(base, name)
        if not isinstance(replaced, cst.BaseExpression):
            return False
        node, base = replaced, name
    if assign is not None:
        path = _target(assign)
        if path is None:
            return False
        if node is not built.node:
            editor.replace(built.node, node)
    else:
        path = cst.Name(source.fresh_name("path", built.node))
        if isinstance(node, cst.BinaryOperation):
            node = node.with_changes(lpar=[], rpar=[])  # `(base / name).read_text()` needed them
        before.append(parse_template_statement("{path} = {node}\n", config, path=path, node=node))
        editor.replace(built.node, path)
    outside = parse_template_expression(
        "not {path}.resolve().is_relative_to({base}.resolve())", config, path=path, base=base
    )
    why = cst.SimpleString(f'"{_LEAVES}"')
    check = parse_template_statement(
        "if {test}:\n    raise ValueError({why})\n", config, test=outside, why=why
    )
    if assign is not None:
        if before:
            editor.insert_before(anchor, *before)
        editor.insert_after(anchor, check)
    else:
        editor.insert_before(anchor, *before, check)
    return True


def _safe_join_path(editor: Editor, built: _Divided, anchor: cst.BaseStatement) -> bool:
    """`base / a / b` → `Path(path)`, with `path = safe_join(base, a, b)` checked before: the
    check reads the parts as text, touching no file, and the path keeps its type."""
    source = editor.source
    safe_join = editor.ref(
        "werkzeug.security", "safe_join", built.node, prefer_from=True, also=("werkzeug.utils.safe_join",)
    )
    abort = _abort(editor, built.node)
    path_type = editor.ref("pathlib", "Path", built.node, prefer_from=True)
    if safe_join is None or abort is None or path_type is None:
        return False
    parts: list[cst.BaseExpression] = []
    node: cst.BaseExpression = built.node
    while isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Divide):
        parts.insert(
            0,
            node.right.with_changes(lpar=[], rpar=[])
            if isinstance(node.right, cst.BinaryOperation)
            else node.right,
        )
        node = node.left
    joined = _joined_with(_Joined(built.node, built.base, tuple(parts)), safe_join, built.base)
    config = source.module.config_for_parsing
    name = cst.Name(source.fresh_name("path", built.node))
    editor.insert_before(
        anchor,
        parse_template_statement("{name} = {joined}\n", config, name=name, joined=joined),
        _abort_unless(name, abort, config),
    )
    editor.replace(built.node, cst.Call(path_type, [cst.Arg(name)]))
    return True


def _plain(node: cst.BaseExpression) -> bool:
    """A variable or attribute chain: reading it twice gives the same object."""
    while isinstance(node, cst.Attribute):
        node = node.value
    return isinstance(node, cst.Name)
