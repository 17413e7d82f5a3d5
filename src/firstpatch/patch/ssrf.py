"""CWE-918: a server-side request to a URL from the request → a scheme and host allow-list.

Before the statement that fetches, the URL's scheme must be http or https and its host one of
a module-level `ALLOWED_HOSTS`, or the request is refused (the framework's 400, a ValueError
outside a web framework). The allow-list starts with the hosts the module's own URL literals
name — the services the code was written to call — so requests the code meant to make still
go through; with none, it starts empty, and the description says to fill it in.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import libcst as cst

from firstpatch.model import Finding
from firstpatch.patch._base import CodemodFixer, argument, finish
from firstpatch.patch._edit import Editor
from firstpatch.patch._refuse import bound, framework_of, guard, refusal
from firstpatch.patch._source import SourceFile
from firstpatch.patch.interface import Fix, Reader

_URL_KEYWORDS = ("url", "host")
_URL_LITERAL = re.compile(r"https?://[^\s'\"/?#]+", re.IGNORECASE)
_WHY = "URL not on the allow-list"


class SsrfFixer(CodemodFixer):
    cwes = frozenset({918})

    def fix_source(self, source: SourceFile, finding: Finding, read: Reader) -> Fix | None:
        call = source.call_at(finding.location)
        if call is None:
            return None
        # `requests.request(method, url)` and `httpx.request(...)` take the URL second.
        index = 1 if isinstance(call.func, cst.Attribute | cst.Name) and _name(call) == "request" else 0
        url = argument(call, index, *_URL_KEYWORDS)
        anchor = source.statement_of(call)
        if url is None or url.star or anchor is None or not _module_level_free(source):
            return None
        editor = Editor(source)
        split = editor.ref("urllib.parse", "urlsplit", call, prefer_from=True)
        refuse = refusal(editor, call, framework_of(editor, finding), _WHY)
        if split is None or refuse is None:
            return None
        name, before = bound(editor, url.value, anchor, "url")
        condition = (
            '{split}({name}).scheme not in ("http", "https") or {split}({name}).hostname not in ALLOWED_HOSTS'
        )
        editor.insert_before(anchor, *before, guard(editor, condition, refuse, split=split, name=name))
        hosts = _literal_hosts(source)
        _add_allow_list(editor, hosts)
        if hosts:
            return finish(
                f"Fetch only http(s) URLs on the hosts the module already calls ({', '.join(hosts)})", editor
            )
        return finish(
            "Fetch only http(s) URLs whose host is on ALLOWED_HOSTS"
            " (empty: add the hosts this service may call)",
            editor,
        )


def _name(call: cst.Call) -> str:
    func = call.func
    return (
        func.attr.value
        if isinstance(func, cst.Attribute)
        else func.value
        if isinstance(func, cst.Name)
        else ""
    )


def _module_level_free(source: SourceFile) -> bool:
    return source.is_free("ALLOWED_HOSTS", source.module)


def _literal_hosts(source: SourceFile) -> list[str]:
    hosts: set[str] = set()
    for match in _URL_LITERAL.finditer(source.text):
        host = urlsplit(match.group(0)).hostname
        if host:
            hosts.add(host)
    return sorted(hosts)


def _add_allow_list(editor: Editor, hosts: list[str]) -> None:
    """`ALLOWED_HOSTS = frozenset({...})` after the module's imports."""
    config = editor.source.module.config_for_parsing
    listed = ", ".join(f'"{host}"' for host in hosts)
    text = (
        f"ALLOWED_HOSTS = frozenset({{{listed}}})\n"
        if hosts
        else "ALLOWED_HOSTS: frozenset[str] = frozenset()\n"
    )
    statement = cst.parse_statement(text, config)
    body = editor.source.module.body
    last_import = None
    for statement_node in body:
        if isinstance(statement_node, cst.SimpleStatementLine) and all(
            isinstance(small, cst.Import | cst.ImportFrom) for small in statement_node.body
        ):
            last_import = statement_node
        elif last_import is not None or not _is_docstring(statement_node):
            break
    blank = [cst.EmptyLine(), cst.EmptyLine()] if last_import is not None else []
    statement = (
        statement.with_changes(leading_lines=blank)
        if isinstance(statement, cst.SimpleStatementLine)
        else statement
    )
    if last_import is not None:
        editor.insert_after(last_import, statement)
    elif body:
        editor.insert_before(body[0], statement)


def _is_docstring(statement: cst.BaseStatement) -> bool:
    return (
        isinstance(statement, cst.SimpleStatementLine)
        and isinstance(statement.body[0], cst.Expr)
        and isinstance(statement.body[0].value, cst.SimpleString)
    )
