"""Calls: matching them against the sink and flag models, checking what reaches a sink, and
what a call resolves to (a project function, the constructor of the object called, a mapping key)."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from firstpatch.analysis import containers
from firstpatch.analysis.constants import UNKNOWN, fold
from firstpatch.analysis.declared_types import project_class
from firstpatch.analysis.models import FlagModel, SinkModel
from firstpatch.analysis.program import Function, dotted_name
from firstpatch.analysis.state import State
from firstpatch.analysis.syntax import access_path
from firstpatch.analysis.taint import CLEAN, Taint, join

if TYPE_CHECKING:
    from firstpatch.analysis.flow import FunctionFlow


@dataclass(frozen=True, slots=True)
class CallSite:
    call: ast.Call
    args: list[Taint]
    keywords: dict[str, Taint]
    receiver: Taint
    state: State


def sink_models(flow: FunctionFlow, name: str | None, func: ast.expr) -> tuple[SinkModel, ...]:
    """Sinks a call may reach: by its resolved name, or by method name on an object.

    Method sinks (`cursor.execute`) apply only when the receiver is an object, not a module
    (`re.search` is not an LDAP search) and not a project function we can analyse instead.
    """
    catalog = flow.catalog
    if name and name in catalog.sinks_by_name:
        return _applicable(flow, catalog.sinks_by_name[name])
    if not isinstance(func, ast.Attribute):
        return ()
    if name is not None:
        receiver = name.rsplit(".", 1)[0]
        if receiver in flow.module.imports.values() or flow.program.resolve_function(name) is not None:
            return ()
    return _applicable(flow, catalog.sinks_by_method.get(func.attr, ()))


def _applicable(flow: FunctionFlow, sinks: tuple[SinkModel, ...]) -> tuple[SinkModel, ...]:
    imported = {target.rsplit(".", 1)[-1] for target in flow.module.imports.values()}
    imported |= {target.split(".", 1)[0] for target in flow.module.imports.values()}
    return tuple(s for s in sinks if not s.module_imports or imported.intersection(s.module_imports))


def check_sink(flow: FunctionFlow, sink: SinkModel, site: CallSite) -> None:
    call = site.call
    by_keyword = {kw.arg: kw.value for kw in call.keywords if kw.arg}
    for key, wanted in sink.when_keyword:
        given = by_keyword.get(key)
        if given is None or (isinstance(given, ast.Constant) and given.value != wanted):
            return
    for key, safe in sink.unless_keyword:
        candidates = [by_keyword.get(key), *call.args[max(sink.args, default=0) + 1 :]]
        if any(c is not None and flow.dotted(c) in safe for c in candidates):
            return
    if sink.requires_flag is not None and not _flagged(flow, call, sink.requires_flag, site.state):
        return
    described = f"reaches {flow.dotted(call.func) or ast.unparse(call.func)}"
    if sink.receiver:
        flow._sink(sink.cwe, call, site.receiver, described)
    for index in sink.args:
        if index < len(call.args):
            taint = _argument_taint(flow, sink, call.args[index], site.args[index], site.state)
            flow._sink(sink.cwe, call, taint, described)
    for key in sink.keywords:
        if key in by_keyword:
            taint = _argument_taint(flow, sink, by_keyword[key], site.keywords.get(key, CLEAN), site.state)
            flow._sink(sink.cwe, call, taint, described)


def _argument_taint(flow: FunctionFlow, sink: SinkModel, arg: ast.expr, taint: Taint, state: State) -> Taint:
    if sink.program:
        if isinstance(arg, ast.List | ast.Tuple):
            elements = [flow._expr(e, state) for e in arg.elts]
            constants = [fold(e, state.consts) for e in arg.elts]
            return _program_taint(elements, constants)
        path = access_path(arg, state.consts)
        if path is not None and f"{path}[0]" in state.taint:
            length = state.shapes.get(path, 0)
            elements = [state.taint.get(f"{path}[{i}]", CLEAN) for i in range(max(length, 1))]
            constants = [state.consts.get(f"{path}[{i}]", UNKNOWN) for i in range(max(length, 1))]
            return _program_taint(elements, constants)
        if _starts_constant(arg):  # "ls " + name: the caller chose the program
            return CLEAN
    if sink.cwe in _URL_CWES and _fixed_origin(arg):
        return CLEAN  # "/projects/" + key or "https://api.example.com/" + path: the site is fixed
    if sink.html_only:
        body = response_body(arg, flow)
        return CLEAN if body is None else taint if body is arg else flow._expr(body, state)
    return taint


_SHELL_COMMAND_FLAGS = frozenset({"-c", "/c", "/C", "-Command", "-command"})


def _program_taint(elements: list[Taint], constants: list[object]) -> Taint:
    """What decides what runs in an argument list: the program, and the command string a
    shell is given after `-c` (`["sh", "-c", f"echo {x}"]` runs `x` as shell code)."""
    decisive = elements[:1]
    for index, value in enumerate(constants[:-1]):
        if value in _SHELL_COMMAND_FLAGS:
            decisive.append(elements[index + 1])
    return join(*decisive)


def _flagged(flow: FunctionFlow, call: ast.Call, requirement: tuple[int, str, str], state: State) -> bool:
    """Whether the object passed as the given argument carries the flag (a permissive parser)."""
    index, keyword, flag = requirement
    given = next((kw.value for kw in call.keywords if kw.arg == keyword), None)
    if given is None and index < len(call.args):
        given = call.args[index]
    if given is None:
        return False
    if isinstance(given, ast.Call):
        return flag in flags_set_by(flow, given, None)
    path = access_path(given, state.consts)
    return path is not None and flag in state.flags.get(path, frozenset())


def flags_set_by(flow: FunctionFlow, call: ast.Call, method: str | None) -> frozenset[str]:
    """Flags a constructor call gives its result (method None) or a method call its receiver."""
    name = flow.dotted(call.func) if method is None else None
    return frozenset(
        model.flag
        for model in flow.catalog.flags
        if ((method is None and model.name and model.name == name) or (method and model.method == method))
        and _arguments_match(flow, call, model)
    )


def _arguments_match(flow: FunctionFlow, call: ast.Call, model: FlagModel) -> bool:
    for expected, given in zip(model.args, call.args, strict=False):
        value = fold(given, {})
        if value is UNKNOWN:
            value = flow.dotted(given)
        if value != expected:
            return False
    if len(call.args) < len(model.args):
        return False
    by_keyword = {kw.arg: kw.value for kw in call.keywords if kw.arg}
    for key, expected in model.keywords:
        keyword = by_keyword.get(key)
        if keyword is None or fold(keyword, {}) != expected:
            return False
    return True


_URL_CWES = frozenset({601, 918})
_FIXED_ORIGIN = re.compile(r"^(/(?![/\\])|https?://[^/?#@]+/)")


def _fixed_origin(node: ast.expr) -> bool:
    """Whether a URL built from pieces starts with literal text that fixes where it goes: a path
    on this site ("/x", not "//x") or a scheme and host that end at a "/"."""
    while isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        node = node.left
    if isinstance(node, ast.JoinedStr) and node.values and isinstance(node.values[0], ast.Constant):
        prefix = node.values[0].value
    elif isinstance(node, ast.Constant):
        prefix = node.value
    else:
        return False
    return isinstance(prefix, str) and bool(_FIXED_ORIGIN.match(prefix))


def _starts_constant(node: ast.expr) -> bool:
    """Whether a string-building expression begins with literal text."""
    while isinstance(node, ast.BinOp):
        node = node.left
    if isinstance(node, ast.JoinedStr):
        return bool(node.values) and isinstance(node.values[0], ast.Constant)
    return isinstance(node, ast.Constant)


def response_body(value: ast.expr, flow: FunctionFlow) -> ast.expr | None:
    """The part of a returned value that becomes an HTML body, or None for JSON-like values."""
    if isinstance(value, ast.Tuple):
        return response_body(value.elts[0], flow) if value.elts else None
    if isinstance(value, ast.Dict | ast.List | ast.Set | ast.ListComp | ast.DictComp | ast.Constant):
        return None
    if isinstance(value, ast.Call):
        name = flow.dotted(value.func) or ""
        if name.endswith(("jsonify", "json.dumps", "render_template", "redirect", "send_from_directory")):
            return None
    return value


def built_by(flow: FunctionFlow, func: ast.expr) -> str | None:
    """The constructor of the object a call calls (`query = etree.XPath(...)`, then
    `query(root)`): a local's, or a module-level object's in this module or the one it is
    imported from."""
    path = access_path(func)
    if path is not None and path in flow.types:
        return flow.types[path]
    if not isinstance(func, ast.Name) or func.id in flow.locals:
        return None
    name = dotted_name(func, flow.module, flow.catalog) or ""
    module, _, attr = name.rpartition(".")
    resolved = flow.program.resolve_module(module)
    return flow.program.modules[resolved].objects.get(attr) if resolved is not None else None


def keyed_read(func: ast.expr, call: ast.Call, state: State) -> Taint | None:
    """`mapping.get("k")` on a mapping whose keys we track: that key, not its siblings."""
    if not (isinstance(func, ast.Attribute) and func.attr in ("get", "pop", "setdefault") and call.args):
        return None
    base = access_path(func.value, state.consts)
    key = fold(call.args[0], state.consts)
    if base is None or key is UNKNOWN or not any(k.startswith(f"{base}[") for k in state.taint):
        return None
    return state.taint.get(containers.key_path(base, key), state.taint.get(base, CLEAN))


def project_callee(flow: FunctionFlow, name: str | None, func: ast.expr) -> tuple[Function, int] | None:
    """The project function a call reaches, and how many implicit leading arguments it has."""
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Call):  # Loader().load(x)
        built = flow.dotted(func.value.func)
        owner = project_class(flow.program, built) if built else None
        if owner is not None:
            method = flow.class_types.method(flow.program, owner, func.attr)
            return (method, 1) if method else None
    if isinstance(func, ast.Attribute) and (receiver := access_path(func.value)) is not None:
        owner = flow.type_of(receiver.split("."))
        if owner in flow.program.classes:  # a method of an object whose class we know
            method = flow.class_types.method(flow.program, owner, func.attr)
            return (method, 1) if method else None
    if name is None:
        return None
    if function := flow.program.resolve_function(name):
        return function, 0
    if init := flow.program.resolve_function(f"{name}.__init__"):
        return init, 1  # a constructor: `self` is the new object
    return None
