"""Parse Python source written for 3.8–3.14 into stdlib `ast`, whatever Python runs firstpatch.

`ast.parse` is tried first: it runs at C speed and is exact. When it raises `SyntaxError` the source
may still be valid for a newer Python (PEP 701 f-strings, PEP 695 type parameters, t-strings, ...),
so tree-sitter-python parses it and `treesitter_ast` converts the tree into the same `ast` nodes.
A file that neither accepts becomes a `ParseFailure`, never an exception: this is the untrusted
input boundary of the analyser (huge, deeply nested, binary or malicious files all end up here).
"""

from __future__ import annotations

import ast
import enum
import threading
import warnings
from dataclasses import dataclass

import tree_sitter_python
from tree_sitter import Language, Parser

from firstpatch.analysis.treesitter_ast import Unsupported, convert_module, first_error
from firstpatch.model import Skipped

__all__ = ["ParseFailure", "ParsedModule", "ParserKind", "parse_module"]

_LANGUAGE = Language(tree_sitter_python.language())
_local = threading.local()  # a tree-sitter Parser must not be shared between threads


class ParserKind(enum.StrEnum):
    AST = "ast"
    TREE_SITTER = "tree-sitter"


@dataclass(frozen=True, slots=True)
class ParsedModule:
    path: str
    tree: ast.Module
    parser: ParserKind
    lines: tuple[str, ...]  # the source split at \n, \r\n and \r, as line numbers count them

    def source_line(self, number: int) -> str:
        """The text of a 1-based line, or "" past the end (for snippets)."""
        return self.lines[number - 1] if 0 < number <= len(self.lines) else ""


@dataclass(frozen=True, slots=True)
class ParseFailure:
    path: str
    reason: str
    line: int = 0  # 1-based; 0 when the failure has no line

    def to_skipped(self) -> Skipped:
        return Skipped(path=self.path, reason=self.reason, line=self.line)


def parse_module(source: str, path: str) -> ParsedModule | ParseFailure:
    """Parse one module's text; `path` is only used in messages and carried into the result."""
    source = source.removeprefix("\ufeff")  # ast rejects a BOM in str input; a decoder may leave one
    problem = _unparseable(source, path)
    if problem is not None:
        return problem
    try:
        with warnings.catch_warnings():
            # Invalid escapes warn; under `-W error` the warning would turn into a SyntaxError.
            warnings.simplefilter("ignore")
            tree = ast.parse(source, filename=path, type_comments=False)
    except SyntaxError as exc:
        return _parse_with_tree_sitter(source, path, exc)
    except (ValueError, OverflowError) as exc:
        return ParseFailure(path, f"cannot parse: {exc}")
    except RecursionError:
        return ParseFailure(path, "cannot parse: nested too deeply")
    except MemoryError:
        return ParseFailure(path, "cannot parse: too large or nested too deeply")
    return ParsedModule(path, tree, ParserKind.AST, _lines(source))


def _unparseable(source: str, path: str) -> ParseFailure | None:
    """Inputs no parser should see; checked up front so every host version answers alike."""
    nul = source.find("\0")
    if nul >= 0:
        return ParseFailure(path, "source contains a NUL byte", _line_of(source, nul))
    try:
        source.encode("utf-8")
    except UnicodeEncodeError as exc:
        return ParseFailure(path, "source is not valid Unicode (lone surrogate)", _line_of(source, exc.start))
    return None


def _parse_with_tree_sitter(
    source: str, path: str, syntax_error: SyntaxError | None = None
) -> ParsedModule | ParseFailure:
    """The fallback path; also called directly by tests to force it on code `ast` accepts."""
    data = _normalise_newlines(source).encode("utf-8", "surrogatepass")
    parser: Parser | None = getattr(_local, "parser", None)
    if parser is None:
        parser = _local.parser = Parser(_LANGUAGE)
    try:
        root = parser.parse(data).root_node
        error = first_error(root)
        if error is not None:
            return _failure(path, syntax_error, *error)
        tree = convert_module(root, data)
    except Unsupported as exc:
        return _failure(path, syntax_error, exc.line, exc.message)
    except RecursionError:
        return _failure(path, syntax_error, 0, "nested too deeply")
    except (MemoryError, ValueError, UnicodeDecodeError) as exc:
        return _failure(path, syntax_error, 0, f"cannot parse: {type(exc).__name__}")
    return ParsedModule(path, tree, ParserKind.TREE_SITTER, _lines(source))


def _failure(path: str, syntax_error: SyntaxError | None, line: int, message: str) -> ParseFailure:
    """Prefer CPython's message unless tree-sitter found the first error further down.

    A SyntaxError above tree-sitter's first error is most likely newer syntax (which tree-sitter
    read fine) and not the real mistake.
    """
    if syntax_error is not None and syntax_error.lineno is not None and syntax_error.lineno >= line:
        return ParseFailure(path, syntax_error.msg, syntax_error.lineno)
    return ParseFailure(path, message, line)


def _normalise_newlines(source: str) -> str:
    # CPython's tokenizer reads \r\n and \r as \n; tree-sitter must count lines the same way.
    return source.replace("\r\n", "\n").replace("\r", "\n") if "\r" in source else source


def _lines(source: str) -> tuple[str, ...]:
    lines = _normalise_newlines(source).split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return tuple(lines)


def _line_of(source: str, index: int) -> int:
    return _normalise_newlines(source[:index]).count("\n") + 1
