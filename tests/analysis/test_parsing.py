"""parse_module: the ast fast path, the tree-sitter fallback for newer syntax, and bad input."""

from __future__ import annotations

import ast
import sys

import pytest

from firstpatch.analysis.parsing import (
    ParsedModule,
    ParseFailure,
    ParserKind,
    _parse_with_tree_sitter,
    parse_module,
)
from firstpatch.model import Skipped

HOST_312 = sys.version_info >= (3, 12)


def parsed(source: str) -> ParsedModule:
    result = parse_module(source, "m.py")
    assert isinstance(result, ParsedModule), result
    return result


def dump(tree: ast.AST) -> str:
    return ast.dump(tree, include_attributes=True)


def test_valid_source_uses_ast_and_keeps_lines() -> None:
    result = parsed("import os\r\nx = os.getcwd()\r\n")
    assert result.parser is ParserKind.AST
    assert result.path == "m.py"
    assert result.lines == ("import os", "x = os.getcwd()")
    assert result.source_line(2) == "x = os.getcwd()"
    assert result.source_line(3) == ""
    assert dump(result.tree) == dump(ast.parse("import os\nx = os.getcwd()\n"))


def test_lines_follow_python_line_numbers_not_str_splitlines() -> None:
    # A form feed or a vertical tab is not a line break for Python.
    result = parsed("x = 1\x0c\ny = 'a\x0bb\x1cc\u2028'\nz = 3\n")
    assert result.source_line(3) == "z = 3"
    assert result.tree.body[2].lineno == 3


def test_a_leading_byte_order_mark_is_ignored() -> None:
    assert dump(parsed("\ufeffx = 1\n").tree) == dump(ast.parse("x = 1\n"))


def test_invalid_escape_does_not_become_an_error_under_warnings_as_errors() -> None:
    # pytest runs with -W error; CPython would turn the warning into a SyntaxError.
    assert parsed('x = "\\d"\n').parser is ParserKind.AST


# -- newer syntax on an older host -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("newer", "older"),
    [
        # PEP 701: the same layout written with other quotes parses on 3.11 to the same tree.
        ('x = f"{d["k"]}"\n', "x = f\"{d['k']}\"\n"),
        ('x = f"{f"{y}"}"\n', "x = f\"{f'{y}'}\"\n"),
        ('x = f"{a["b"]:{"w"}>10}" "tail" f"{c}"\n', 'x = f"{a[\'b\']:{\'w\'}>10}" "tail" f"{c}"\n'),
        ('print(f"{", ".join(names)}")\n', "print(f\"{', '.join(names)}\")\n"),
    ],
)
def test_pep701_fstrings_match_their_older_spelling(newer: str, older: str) -> None:
    result = parsed(newer)
    assert result.parser is (ParserKind.AST if HOST_312 else ParserKind.TREE_SITTER)
    if not HOST_312:
        assert dump(result.tree) == dump(ast.parse(older))


def test_pep701_backslashes_and_comments_in_replacement_fields() -> None:
    source = 'x = f"{\'\\n\'.join(lines)}"\ny = f"{a # why\n}"\n'
    tree = parsed(source).tree
    first, second = tree.body
    assert isinstance(first, ast.Assign)
    assert isinstance(second, ast.Assign)
    value = first.value
    assert isinstance(value, ast.JoinedStr)
    formatted = value.values[0]
    assert isinstance(formatted, ast.FormattedValue)
    call = formatted.value
    assert isinstance(call, ast.Call)
    assert isinstance(call.func, ast.Attribute)
    assert call.func.attr == "join"
    assert isinstance(call.func.value, ast.Constant)
    assert call.func.value.value == "\n"
    assert (call.lineno, call.col_offset, call.end_col_offset) == (1, 7, 23)
    name = second.value.values[0].value  # type: ignore[attr-defined]
    assert isinstance(name, ast.Name)
    assert (name.id, name.lineno, name.col_offset) == ("a", 2, 7)


def test_type_parameters_on_functions_and_classes() -> None:
    source = "def first[T](items: list[T]) -> T:\n    return items[0]\n\nclass Box[T]:\n    item: T\n"
    result = parsed(source)
    if HOST_312:
        assert dump(result.tree) == dump(ast.parse(source))
        return
    assert result.parser is ParserKind.TREE_SITTER
    # Dropping the parameters leaves the tree of the same code without them, at the same columns.
    assert dump(result.tree) == dump(ast.parse(source.replace("[T](", "   (").replace("Box[T]", "Box   ")))


def test_type_statement_maps_to_the_nearest_host_node() -> None:
    result = parsed("type Pair[T] = tuple[T, T]\n")
    (statement,) = result.tree.body
    if HOST_312:
        assert type(statement).__name__ == "TypeAlias"
        return
    assert isinstance(statement, ast.Assign)
    (target,) = statement.targets
    assert isinstance(target, ast.Name)
    assert isinstance(target.ctx, ast.Store)
    assert (target.id, target.col_offset, target.end_col_offset) == ("Pair", 5, 9)
    assert isinstance(statement.value, ast.Subscript)
    assert ast.unparse(statement.value) == "tuple[T, T]"
    assert (statement.lineno, statement.col_offset, statement.end_col_offset) == (1, 0, 26)


def test_template_strings_become_joined_strings() -> None:
    result = parsed('greeting = t"Hello {name!r:>10}"\n')
    if sys.version_info >= (3, 14):
        pytest.skip("the host parses t-strings itself")
    value = result.tree.body[0].value  # type: ignore[attr-defined]
    assert isinstance(value, ast.JoinedStr)
    constant, formatted = value.values
    assert isinstance(constant, ast.Constant)
    assert constant.value == "Hello "
    assert isinstance(formatted, ast.FormattedValue)
    assert formatted.conversion == ord("r")
    assert isinstance(formatted.value, ast.Name)
    assert formatted.value.col_offset == 20


def test_except_without_parentheses_pep758() -> None:
    result = parsed("try:\n    pass\nexcept ValueError, TypeError:\n    pass\n")
    handler = result.tree.body[0].handlers[0]  # type: ignore[attr-defined]
    assert isinstance(handler.type, ast.Tuple)
    assert [ast.unparse(n) for n in handler.type.elts] == ["ValueError", "TypeError"]
    assert (handler.type.col_offset, handler.type.end_col_offset) == (7, 28)


def test_newer_syntax_in_an_otherwise_ordinary_module_keeps_everything_else() -> None:
    source = (
        "import os\n"
        "class Handler:\n"
        "    def get(self, request):\n"
        "        path = request.args['p']\n"
        '        return f"{request.headers["X"]}" + os.path.join("/srv", path)\n'
    )
    result = parsed(source)
    older = source.replace('headers["X"]', "headers['X']")
    assert dump(result.tree) == dump(ast.parse(older))


# -- failures --------------------------------------------------------------------------------------


def failure(source: str) -> ParseFailure:
    result = parse_module(source, "bad.py")
    assert isinstance(result, ParseFailure), result
    assert result.path == "bad.py"
    return result


def test_syntax_error_reports_cpythons_message_and_line() -> None:
    result = failure("x = 1\n\ndef f(:\n    pass\n")
    assert result.line == 3
    assert result.reason == "invalid syntax"
    assert result.to_skipped() == Skipped(path="bad.py", reason="invalid syntax", line=3)


def test_real_error_below_newer_syntax_is_reported_where_it_is() -> None:
    # 3.11 stops at the f-string on line 1; the real mistake is the function on lines 3-4.
    source = 'x = f"{d["k"]}"\n\ndef ok():\n    return (1,\n'
    result = failure(source)
    assert result.line in (3, 4)


def test_python2_print_statement_is_a_failure() -> None:
    assert failure('print "hello"\n').line == 1


def test_deeply_nested_parentheses_are_a_failure_not_an_exception() -> None:
    result = failure("x = " + "(" * 5000 + "1" + ")" * 5000 + "\n")
    assert result.line == 1


def test_deep_nesting_on_the_tree_sitter_path_is_a_failure() -> None:
    result = _parse_with_tree_sitter("x = " + "[" * 5000 + "]" * 5000 + "\n", "deep.py")
    assert isinstance(result, ParseFailure)
    assert "nested" in result.reason


def test_long_operator_chains_do_not_exhaust_the_stack_on_the_tree_sitter_path() -> None:
    source = "x = " + " + ".join(["a"] * 3000) + "\ny = " + " ** ".join(["2"] * 1000) + "\n"
    result = _parse_with_tree_sitter(source, "long.py")
    assert isinstance(result, ParsedModule)
    assert sum(isinstance(node, ast.BinOp) for node in ast.walk(result.tree)) == 2999 + 999


@pytest.mark.parametrize(
    "source",
    [
        "x = " + "-" * 50000 + "1\n",
        "x = " + "not " * 5000 + "y\n",
        "x = " + "1 + " * 100000 + "1\n",
    ],
)
def test_pathological_expressions_are_failures(source: str) -> None:
    failure(source)


def test_nul_byte_is_a_failure_with_its_line() -> None:
    result = failure("x = 1\ny = '\0'\n")
    assert result.line == 2
    assert "NUL" in result.reason


def test_lone_surrogate_is_a_failure_with_its_line() -> None:
    result = failure("x = 1\n\ny = '\ud800'\n")
    assert result.line == 3


def test_a_huge_line_parses() -> None:
    result = parsed("x = '" + "a" * 2_000_000 + "'\n")
    assert result.tree.body[0].value.end_col_offset == 2_000_006  # type: ignore[attr-defined]


def test_unterminated_fstring_with_newer_syntax_is_a_failure() -> None:
    failure('x = f"{d["k"]\n')


def test_public_names_are_pinned() -> None:
    from firstpatch.analysis import parsing

    assert sorted(parsing.__all__) == ["ParseFailure", "ParsedModule", "ParserKind", "parse_module"]
