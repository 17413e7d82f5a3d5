"""Adding an import where a person (or isort/ruff) would put it.

libcst's AddImportsVisitor appends new imports after the last one, which leaves a patched file
failing the project's import-order lint. Here a new import goes into the matching paragraph of
the import block — the standard library's, or the first one of other packages — at its sorted
place (plain `import x` lines first, then `from x import y`, each by module name), and a name
imported from a module that is already imported from joins that statement.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass

import libcst as cst
from libcst.helpers import get_full_name_for_node


@dataclass(frozen=True, slots=True)
class _Line:
    index: int  # in the module body
    module: str
    is_from: bool
    paragraph: int  # the blank-line separated group of import lines it belongs to

    @property
    def key(self) -> tuple[bool, str]:
        return self.is_from, self.module.lower()


def add_import(module: cst.Module, name: str, obj: str | None) -> cst.Module:
    """`module` with `import name` or `from name import obj` added, unless it is there."""
    body = list(module.body)
    lines = _import_lines(body)
    for line in lines:
        statement = body[line.index]
        node = _single_import(statement)
        if line.module != name or node is None or not isinstance(statement, cst.SimpleStatementLine):
            continue
        if obj is None and isinstance(node, cst.Import) and _binds_plainly(node, name):
            return module
        if (
            obj is not None
            and isinstance(node, cst.ImportFrom)
            and not isinstance(node.names, cst.ImportStar)
        ):
            if any(
                get_full_name_for_node(alias.name) == obj and alias.asname is None for alias in node.names
            ):
                return module
            body[line.index] = statement.with_changes(body=[_with_name(node, obj)])
            return module.with_changes(body=body)
    small: cst.Import | cst.ImportFrom
    if obj is None:
        small = cst.Import([cst.ImportAlias(_dotted(name))])
    else:
        small = cst.ImportFrom(_dotted(name), [cst.ImportAlias(cst.Name(obj))])
    new = cst.SimpleStatementLine([small])
    new_line = _Line(-1, name, obj is not None, -1)
    return module.with_changes(body=_insert(body, lines, new, new_line))


def _dotted(name: str) -> cst.Attribute | cst.Name:
    head, _, last = name.rpartition(".")
    return cst.Attribute(_dotted(head), cst.Name(last)) if head else cst.Name(last)


def _binds_plainly(node: cst.Import, name: str) -> bool:
    return any(get_full_name_for_node(alias.name) == name and alias.asname is None for alias in node.names)


def _with_name(node: cst.ImportFrom, obj: str) -> cst.ImportFrom:
    """`from m import a, c` + b → `from m import a, b, c` (appended when the names are unsorted)."""
    names = list(node.names) if not isinstance(node.names, cst.ImportStar) else []
    keys = [_name_key(get_full_name_for_node(alias.name) or "") for alias in names]
    position = len(names)
    if keys == sorted(keys):
        position = next((i for i, key in enumerate(keys) if key > _name_key(obj)), len(names))
    new = cst.ImportAlias(cst.Name(obj))
    if position == len(names):
        # The old last name keeps its place before `)` or the line end; the new one takes over
        # its trailing comma, if any.
        last = names[-1]
        names[-1] = last.with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
        names.append(new.with_changes(comma=last.comma))
    else:
        names.insert(position, new.with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))))
    return node.with_changes(names=names)


def _name_key(name: str) -> tuple[int, str]:
    """isort's order by type: CONSTANTS, then Classes, then functions and variables."""
    kind = 0 if name.isupper() and len(name) > 1 else 1 if name[:1].isupper() else 2
    return kind, name.lower()


def _import_lines(body: Sequence[cst.BaseStatement]) -> list[_Line]:
    """The module's top-level import lines, up to the first other statement after them."""
    lines: list[_Line] = []
    paragraph = 0
    for index, statement in enumerate(body):
        if index == 0 and _is_docstring(statement, index):
            continue
        node = _single_import(statement)
        if node is None:
            break
        if lines and any(isinstance(line, cst.EmptyLine) for line in _leading(statement)):
            paragraph += 1
        lines.append(_Line(index, _module_of(node), isinstance(node, cst.ImportFrom), paragraph))
    return lines


def _single_import(statement: cst.BaseStatement) -> cst.Import | cst.ImportFrom | None:
    if isinstance(statement, cst.SimpleStatementLine) and len(statement.body) == 1:
        node = statement.body[0]
        if isinstance(node, cst.Import | cst.ImportFrom):
            return node
    return None


def _module_of(node: cst.Import | cst.ImportFrom) -> str:
    if isinstance(node, cst.Import):
        return get_full_name_for_node(node.names[0].name) or ""
    if node.relative:
        return "." * len(node.relative) + (get_full_name_for_node(node.module) or "" if node.module else "")
    return get_full_name_for_node(node.module) or "" if node.module else ""


def _is_docstring(statement: cst.BaseStatement, index: int) -> bool:
    return (
        index == 0
        and isinstance(statement, cst.SimpleStatementLine)
        and isinstance(statement.body[0], cst.Expr)
        and isinstance(statement.body[0].value, cst.SimpleString | cst.ConcatenatedString)
    )


def _leading(statement: cst.BaseStatement) -> Sequence[cst.EmptyLine]:
    if isinstance(statement, cst.SimpleStatementLine | cst.BaseCompoundStatement):
        return statement.leading_lines
    return ()


def _is_stdlib(module: str) -> bool:
    return module.split(".", maxsplit=1)[0] in sys.stdlib_module_names and module != "__future__"


def _insert(
    body: Sequence[cst.BaseStatement], lines: Sequence[_Line], new: cst.SimpleStatementLine, line: _Line
) -> list[cst.BaseStatement]:
    stdlib = _is_stdlib(line.module)
    paragraphs: dict[int, list[_Line]] = {}
    for existing in lines:
        if existing.module != "__future__":
            paragraphs.setdefault(existing.paragraph, []).append(existing)
    same = [group for group in paragraphs.values() if all(_is_stdlib(x.module) for x in group) == stdlib]
    if same:
        group = same[0]
        after = next((x for x in group if x.key > line.key), None)
        if after is None:
            return [*body[: group[-1].index + 1], new, *body[group[-1].index + 1 :]]
        return _before(body, after.index, new, separate=False)
    groups = list(paragraphs.values())
    if stdlib and groups:
        return _before(body, groups[0][0].index, new, separate=True)
    if groups:  # all of the standard library: a new paragraph after them
        end = groups[-1][-1].index + 1
        return [*body[:end], new.with_changes(leading_lines=[cst.EmptyLine()]), *body[end:]]
    # No import yet: after the docstring and any `from __future__` line.
    index = max([x.index + 1 for x in lines] + [1 if body and _is_docstring(body[0], 0) else 0])
    first = new.with_changes(leading_lines=[cst.EmptyLine()] if index else [])
    rest = body[index:]
    if rest and not _leading(rest[0]):
        follower = rest[0]
        if isinstance(follower, cst.SimpleStatementLine | cst.BaseCompoundStatement):
            blank_lines = 2 if isinstance(follower, cst.FunctionDef | cst.ClassDef) else 1
            rest = [follower.with_changes(leading_lines=[cst.EmptyLine()] * blank_lines), *rest[1:]]
    return [*body[:index], first, *rest]


def _before(
    body: Sequence[cst.BaseStatement], index: int, new: cst.SimpleStatementLine, *, separate: bool
) -> list[cst.BaseStatement]:
    """`new` before `body[index]`, taking over its leading comments and blank lines;
    `separate` puts a blank line between them (a new paragraph)."""
    old = body[index]
    if not isinstance(old, cst.SimpleStatementLine):
        return [*body[:index], new, *body[index:]]
    moved = new.with_changes(leading_lines=old.leading_lines)
    kept = old.with_changes(leading_lines=[cst.EmptyLine()] if separate else [])
    return [*body[:index], moved, kept, *body[index + 1 :]]


def drop_import(module: cst.Module, name: str, obj: str | None) -> cst.Module | None:
    """`module` without `import name` / `from name import obj` (no `as`), found on a line of its
    own at the top level; None when it is not there (an import under `if`/`try`, or sharing a
    line with `;`). `module` itself when the name it binds is still used (a fix may use the
    module again: `yaml.load` → `yaml.safe_load`), by any variable of that name or a string
    naming it (`__all__`, a string annotation): scopes are not told apart, so the doubt keeps it."""
    body = list(module.body)
    for index, statement in enumerate(body):
        node = _single_import(statement)
        if node is None or not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1:
            continue
        aliases = [] if isinstance(node.names, cst.ImportStar) else list(node.names)
        if isinstance(node, cst.Import) and obj is None:
            dropped = [a for a in aliases if get_full_name_for_node(a.name) == name and a.asname is None]
        elif isinstance(node, cst.ImportFrom) and obj is not None and _module_of(node) == name:
            dropped = [a for a in aliases if get_full_name_for_node(a.name) == obj and a.asname is None]
        else:
            continue
        if not dropped:
            continue
        kept = [alias for alias in aliases if alias not in dropped]
        bound = obj if obj is not None else name.split(".", maxsplit=1)[0]
        others = module.with_changes(body=[*body[:index], *body[index + 1 :]])
        if _mentions(others, bound) or any(get_full_name_for_node(alias.name) == bound for alias in kept):
            return module
        if not kept:
            following = body[index + 1] if index + 1 < len(body) else None
            del body[index]
            if following is not None and isinstance(
                following, cst.SimpleStatementLine | cst.BaseCompoundStatement
            ):
                # Comments above the import stay, above whatever now comes first.
                lines = [*statement.leading_lines, *following.leading_lines]
                body[index] = following.with_changes(leading_lines=lines)
            return module.with_changes(body=body)
        if aliases[-1] in dropped:
            parenthesized = isinstance(node, cst.ImportFrom) and node.lpar is not None
            ending = aliases[-1].comma if parenthesized else cst.MaybeSentinel.DEFAULT
            kept[-1] = kept[-1].with_changes(comma=ending)
        body[index] = statement.with_changes(body=[node.with_changes(names=kept)])
        return module.with_changes(body=body)
    return None


def _mentions(module: cst.Module, name: str) -> bool:
    finder = _NameFinder(name)
    module.visit(finder)
    return finder.found


class _NameFinder(cst.CSTVisitor):
    def __init__(self, name: str) -> None:
        super().__init__()
        self.name = name
        self.found = False

    def on_visit(self, node: cst.CSTNode) -> bool:
        if self.found:
            return False
        if isinstance(node, cst.Attribute | cst.Arg):
            node.value.visit(self)  # `json.loads` and `f(loads=x)` do not use a name `loads`
            return False
        if isinstance(node, cst.Name) and node.value == self.name:
            self.found = True
        elif isinstance(node, cst.SimpleString):
            text = node.evaluated_value
            self.found = isinstance(text, str) and (text == self.name or text.startswith(self.name + "."))
        return not self.found
