"""Conditions on the path from the entry point to the sink, read from the handler's source.

Runs on the trusted side and only parses text: the handler is never imported. What it reads:
the names the handler looks its input up by (when the analysis did not name the parameter), a
prefix the input must start with (`x.startswith("...")`), and other fields that must carry a
marker value (`request.form.get("action") == "run"`), be present (`"X-Token" in request.headers`)
or contain a text (`"json" in request.headers["Accept"]`). The request builder puts them all in.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path

from firstpatch.analysis.parsing import ParsedModule, parse_module
from firstpatch.model import Finding, InputKind

_GETTERS = frozenset(
    {"get", "getlist", "getone", "getall", "get_argument", "get_query_argument", "get_body_argument"}
    | {"get_arguments", "get_cookie", "get_secure_cookie", "getenv", "getvalue", "getfirst", "pop"}
)
# Words in the looked-up container (or the getter) that say where the input comes from.
_KIND_WORDS: tuple[tuple[str, InputKind], ...] = (
    ("header", InputKind.HEADER),
    ("META", InputKind.HEADER),
    ("cookie", InputKind.COOKIE),
    ("COOKIES", InputKind.COOKIE),
    ("match_info", InputKind.PATH),
    ("path_params", InputKind.PATH),
    ("form", InputKind.FORM),
    ("POST", InputKind.FORM),
    ("post()", InputKind.FORM),
    ("get_body_argument", InputKind.FORM),
    ("json", InputKind.JSON),
    ("environ", InputKind.ENV),
    ("getenv", InputKind.ENV),
    ("args", InputKind.QUERY),
    ("GET", InputKind.QUERY),
    ("query", InputKind.QUERY),
    ("get_argument", InputKind.QUERY),
    ("values", InputKind.QUERY),
)
_SEARCHES = frozenset({"find", "index", "rfind"})
_RAW_QUERY = ("query_string", "QUERY_STRING", "url.query", "query_params")
MAX_FILE = 1024 * 1024


@dataclass(frozen=True, slots=True)
class Field:
    kind: InputKind
    name: str
    value: str


@dataclass(frozen=True, slots=True)
class Hints:
    names: dict[InputKind, tuple[str, ...]] = field(default_factory=dict)  # looked-up names per kind
    prefix: str = ""  # what the finding's parameter must start with
    fields: tuple[Field, ...] = ()  # other inputs the path needs
    # The input is a field's name, not its value: the handler loops over the names of the
    # inputs of `name_kind` and takes one (`for name in request.headers.keys(): param = name`),
    # the one whose value is `name_marker` when it checks (`if "M" in request.form.getlist(name)`).
    name_marker: str | None = None
    name_kind: InputKind | None = None

    def names_for(self, kind: InputKind) -> tuple[str, ...]:
        return self.names.get(kind, ())


NO_HINTS = Hints()


def read_hints(root: Path, finding: Finding) -> Hints:
    entry = finding.entry_point
    if entry is None or not entry.location.path.endswith(".py"):
        return NO_HINTS
    tree = parse_file(root / entry.location.path)
    if tree is None:
        return NO_HINTS
    handler = _handler(tree, entry.location.line, entry.location.end_line)
    if handler is None:
        return NO_HINTS
    return _Reader(entry.input_kind, entry.parameter).read(handler)


def parse_file(path: Path) -> ast.Module | None:
    """The module at `path` as `ast`, read as text by the analysis's parser (which takes code
    written for a newer Python than firstpatch's), or None when it cannot be read or parsed."""
    try:
        if path.is_symlink() or path.stat().st_size > MAX_FILE:
            return None
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    parsed = parse_module(text, str(path))
    return parsed.tree if isinstance(parsed, ParsedModule) else None


def _handler(tree: ast.Module, line: int, end_line: int) -> ast.AST | None:
    """The innermost function (or the module) that spans the entry point's definition."""
    best: ast.AST | None = tree if line <= 1 else None
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
            if first <= line <= (node.end_lineno or node.lineno) and (
                best is None or best is tree or node.lineno >= getattr(best, "lineno", 0)
            ):
                best = node
    return best


class _Reader:
    def __init__(self, kind: InputKind | None, parameter: str | None) -> None:
        self._kind = kind
        self._parameter = parameter
        self._locals: dict[str, tuple[InputKind | None, str]] = {}
        self._containers: dict[str, InputKind] = {}  # `data = await request.post()`
        self._names: dict[InputKind, list[str]] = {}
        self._prefix = ""
        self._fields: dict[tuple[InputKind, str], str] = {}
        self._name_loops: dict[str, InputKind] = {}  # loop variables that iterate input names
        self._name_marker: str | None = None
        self._name_kind: InputKind | None = None
        self._raw_queries: set[str] = set()  # locals holding the raw query string

    def read(self, handler: ast.AST) -> Hints:
        nodes = list(ast.walk(handler))
        for node in nodes:  # assignments first: conditions refer to the locals they bind
            if isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None:
                lookup = self._lookup(_unwrap(node.value))
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                container = _kind_of(ast.unparse(_unwrap(node.value))) if lookup is None else None
                raw = self._raw_query(node.value)
                for target in targets:
                    if isinstance(target, ast.Name) and raw:
                        self._raw_queries.add(target.id)
                    if isinstance(target, ast.Name) and lookup is not None:
                        self._locals[target.id] = lookup
                    elif isinstance(target, ast.Name) and container is not None:
                        self._containers[target.id] = container
        for node in nodes:
            if isinstance(node, ast.For | ast.AsyncFor) and isinstance(node.target, ast.Name):
                kind = _kind_of(ast.unparse(node.iter))
                if kind is not None:
                    self._name_loops[node.target.id] = kind
                    if _iterates_names(node.iter) and _assigns(node, node.target.id):
                        self._name_kind = self._name_kind or kind
        for node in nodes:
            lookup = self._lookup(node)
            if lookup is not None and lookup[0] is not None:
                self._names.setdefault(lookup[0], [])
                if lookup[1] not in self._names[lookup[0]]:
                    self._names[lookup[0]].append(lookup[1])
            if isinstance(node, ast.Compare):
                self._compare(node)
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                self._startswith(node)
        names = {kind: tuple(values) for kind, values in self._names.items()}
        fields = tuple(Field(kind, name, value) for (kind, name), value in self._fields.items())
        return Hints(names, self._prefix, fields, self._name_marker, self._name_kind)

    def _lookup(self, node: ast.AST) -> tuple[InputKind | None, str] | None:
        """(kind, name) when `node` reads one named input: `x.get("n")`, `x["n"]`, or a local
        bound to such a read."""
        node = _unwrap(node)
        if isinstance(node, ast.Name):
            return self._locals.get(node.id)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            key = node.args[0] if node.args else None
            if _getter(node.func.attr) and isinstance(key, ast.Constant) and isinstance(key.value, str):
                # The method's own name first: `wrapper.get_query_value` reads the query.
                kind = _kind_of(node.func.attr) or self._container_kind(node.func.value)
                return kind or _kind_of(ast.unparse(node.func)), key.value
            if node.func.attr in _SEARCHES and self._raw_query(node.func.value):
                # `query_string.find("name=")`: the handler parses the raw query string itself.
                name = _field_name(key)
                if name is not None:
                    return InputKind.QUERY, name
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "getenv":
            key = node.args[0] if node.args else None
            if isinstance(key, ast.Constant) and isinstance(key.value, str):
                return InputKind.ENV, key.value
        if isinstance(node, ast.Subscript):
            key = node.slice
            if isinstance(key, ast.Constant) and isinstance(key.value, str):
                container = _unwrap(node.value)
                kind = self._container_kind(container) or _kind_of(ast.unparse(container))
                if kind is not None:
                    return kind, key.value
        return None

    def _raw_query(self, node: ast.AST) -> bool:
        """`request.query_string...`, or a local bound to it."""
        node = _unwrap(node)
        if isinstance(node, ast.Name):
            return node.id in self._raw_queries
        return any(word in ast.unparse(node) for word in _RAW_QUERY)

    def _by_loop_name(self, node: ast.AST) -> bool:
        """`request.form.getlist(name)` where `name` iterates the input's names."""
        node = _unwrap(node)
        return (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in _GETTERS
            and bool(node.args)
            and isinstance(node.args[0], ast.Name)
            and node.args[0].id in self._name_loops
        )

    def _container_kind(self, node: ast.AST) -> InputKind | None:
        return self._containers.get(node.id) if isinstance(node, ast.Name) else None

    def _is_target(self, lookup: tuple[InputKind | None, str]) -> bool:
        kind, name = lookup
        return (kind is None or kind == self._kind) and (self._parameter is None or name == self._parameter)

    def _require(self, lookup: tuple[InputKind | None, str], value: str) -> None:
        kind, name = lookup
        if kind is not None and not self._is_target(lookup):
            self._fields.setdefault((kind, name), value)

    def _compare(self, node: ast.Compare) -> None:
        if len(node.ops) != 1:
            return
        left, right, op = _unwrap(node.left), _unwrap(node.comparators[0]), node.ops[0]
        if isinstance(op, ast.Eq | ast.NotEq):
            for side, other in ((left, right), (right, left)):
                lookup = self._lookup(side)
                if lookup is not None and isinstance(other, ast.Constant) and isinstance(other.value, str):
                    self._require(lookup, other.value)
        elif (
            isinstance(op, ast.In | ast.NotIn)
            and isinstance(left, ast.Constant)
            and isinstance(left.value, str)
        ):
            if self._by_loop_name(right):
                self._name_marker = self._name_marker or left.value
                loop = _unwrap(right)
                if isinstance(loop, ast.Call) and loop.args and isinstance(loop.args[0], ast.Name):
                    self._name_kind = self._name_kind or self._name_loops[loop.args[0].id]
                return
            lookup = self._lookup(right)
            if lookup is not None:
                self._require(lookup, left.value)
                return
            kind = _kind_of(ast.unparse(right))
            if kind in (InputKind.HEADER, InputKind.COOKIE, InputKind.FORM, InputKind.QUERY, InputKind.JSON):
                # `"X-Token" in request.headers`: the field must be there at all.
                self._fields.setdefault((kind, left.value), "1")

    def _startswith(self, node: ast.Call) -> None:
        func = node.func
        if not isinstance(func, ast.Attribute) or func.attr != "startswith" or not node.args:
            return
        prefix = node.args[0]
        lookup = self._lookup(func.value)
        if lookup is None or not isinstance(prefix, ast.Constant) or not isinstance(prefix.value, str):
            return
        if self._is_target(lookup):
            self._prefix = self._prefix or prefix.value
        else:
            self._require(lookup, prefix.value)


def _iterates_names(node: ast.AST) -> bool:
    """`request.form.keys()` or `request.form`: a loop over the inputs' names."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and not node.args:
        return node.func.attr == "keys"
    return isinstance(node, ast.Attribute | ast.Name)


def _assigns(loop: ast.For | ast.AsyncFor, variable: str) -> bool:
    """Whether the loop's body keeps its variable: `param = name`."""
    return any(
        isinstance(node, ast.Assign) and isinstance(node.value, ast.Name) and node.value.id == variable
        for statement in loop.body
        for node in ast.walk(statement)
    )


def _getter(name: str) -> bool:
    """A method that looks an input up by name: the frameworks' own, or a wrapper's
    (`get_form_parameter`, `getHeader`): its name starts with "get"."""
    return name in _GETTERS or name.startswith("get")


def _field_name(node: ast.AST | None) -> str | None:
    """ "name" from a search key `"name="` or `"name" + "="`."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = node.left, node.right
        if (
            isinstance(left, ast.Constant)
            and isinstance(left.value, str)
            and isinstance(right, ast.Constant)
            and right.value == "="
        ):
            return left.value
    if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.endswith("="):
        return node.value[:-1] or None
    return None


def _unwrap(node: ast.AST) -> ast.AST:
    """`await x`, `x or ""` and `str(x)` read the same input as `x`."""
    while True:
        if isinstance(node, ast.Await):
            node = node.value
        elif isinstance(node, ast.BoolOp) and node.values:
            node = node.values[0]
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in ("str", "int", "float")
            and len(node.args) == 1
        ):
            node = node.args[0]
        else:
            return node


def _kind_of(text: str) -> InputKind | None:
    for word, kind in _KIND_WORDS:
        if word in text:
            return kind
    return None
