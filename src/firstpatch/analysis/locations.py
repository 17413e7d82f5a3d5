"""Source positions as the reports want them: 1-based character columns, end exclusive."""

from __future__ import annotations

import ast

from firstpatch.analysis.program import Module
from firstpatch.model import Location


def location(module: Module, node: ast.AST, *, whole_line: bool = False) -> Location:
    """1-based line and character columns (end exclusive) from ast's UTF-8 byte offsets."""
    line = getattr(node, "lineno", 0)
    end_line = getattr(node, "end_lineno", None) or line
    text = module.lines[line - 1] if 0 < line <= len(module.lines) else ""
    end_text = module.lines[end_line - 1] if 0 < end_line <= len(module.lines) else ""
    column = _char_column(text, getattr(node, "col_offset", 0))
    end_column = _char_column(end_text, getattr(node, "end_col_offset", None) or 0)
    snippet = text.strip() if whole_line else source_text(module, node)
    return Location(module.path, line, column, end_line, end_column, snippet[:300])


def _char_column(text: str, byte_offset: int) -> int:
    return len(text.encode("utf-8")[:byte_offset].decode("utf-8", errors="ignore")) + 1


def source_text(module: Module, node: ast.AST) -> str:
    """The exact text of a node, possibly over several lines."""
    line, end_line = getattr(node, "lineno", 0), getattr(node, "end_lineno", 0)
    if not line or not end_line or end_line > len(module.lines):
        return ""
    first = module.lines[line - 1].encode("utf-8")
    start = getattr(node, "col_offset", 0)
    end = getattr(node, "end_col_offset", None) or 0
    if line == end_line:
        return first[start:end].decode("utf-8", errors="replace")
    middle = [module.lines[i] for i in range(line, end_line - 1)]
    last = module.lines[end_line - 1].encode("utf-8")[:end].decode("utf-8", errors="replace")
    return "\n".join([first[start:].decode("utf-8", errors="replace"), *middle, last])
