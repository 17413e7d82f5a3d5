"""CWE-78: a shell command built by pasting values → an argument list, or quoted values.

When the literal parts of the command hold no shell syntax (no pipes, redirections,
expansions, globs), the shell is doing nothing but splitting words, so the command becomes
`subprocess.run([...], check=False)`: the literal words split as the shell would split them
and each value one argument. `os.system` returns the exit status, so where its result is
used the fix reads `.returncode`. When the shell is needed, each value is wrapped in
`shlex.quote()` instead (and quotes the command put around it are dropped, since quoting
inside quotes would break them).

The command may reach the sink through a local variable, or through a parameter of a helper
(`run_command(command)` → `os.system(command)`); then the fix goes where the trace shows the
command being built, and quotes there, since the helper's other callers still pass strings.
A value that picks the program itself (`f"{tool} --help"`) has no fix here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import libcst as cst

from firstpatch.model import Finding
from firstpatch.patch._base import (
    CodemodFixer,
    argument,
    finish,
    is_true,
    keyword,
    keyword_arg,
    without_arg,
)
from firstpatch.patch._callers import passed_arguments
from firstpatch.patch._command_pieces import assembled_strings, shell_command_strings
from firstpatch.patch._edit import Editor
from firstpatch.patch._source import SourceFile
from firstpatch.patch._strings import (
    NUMERIC_SPEC,
    Built,
    Part,
    Text,
    Value,
    decompose,
    fstring,
    is_text,
    string_literal,
)
from firstpatch.patch.interface import Fix, Reader

_SUBPROCESS = frozenset(
    {
        "subprocess.run",
        "subprocess.call",
        "subprocess.check_call",
        "subprocess.check_output",
        "subprocess.Popen",
    }
)
# Sinks whose result depends on the shell (a pipe, captured text): only quoting fits them.
_QUOTE_ONLY = frozenset({"os.popen", "subprocess.getoutput", "subprocess.getstatusoutput"})
_SHELL_QUOTES = frozenset({"shlex.quote", "pipes.quote"})
_SANITISED = _SHELL_QUOTES | {"builtins.int", "builtins.float", "builtins.len"}
# Characters the shell gives a meaning outside quotes; `$`, `` ` `` and `\` keep it inside "".
_META = frozenset("|&;<>()$`\\*?[]{}~#!\n\r")
_META_IN_DOUBLE = frozenset("$`\\")


@dataclass(frozen=True, slots=True)
class _Site:
    """Where the command is built."""

    source: SourceFile
    built: Built
    assign: cst.Assign | None = None  # the local assignment building it, when not inline
    listable: bool = True  # it may become a list: nothing but the sink reads it


@dataclass(frozen=True, slots=True)
class _Token:
    item: str | Value
    quote: str | None  # the shell quote it sits in: None, "'" or '"'


class CommandFixer(CodemodFixer):
    cwes = frozenset({78})

    def fix_source(self, source: SourceFile, finding: Finding, read: Reader) -> Fix | None:
        call = source.call_at(finding.location)
        if call is None:
            return None
        names = source.qualified_names(call.func)
        arg = argument(call, 0, "command", "cmd", "args")
        if arg is None:
            return None
        if names & _SUBPROCESS:
            shell = keyword(call, "shell")
            if shell is None or not is_true(shell.value):
                # An argument list whose program is a shell: `["sh", "-c", f"echo {x}"]`.
                return _quote_pieces(source, shell_command_strings(source, arg.value, call))
        elif not names & (_QUOTE_ONLY | {"os.system"}):
            return None
        site = _site(source, arg.value, finding, read)
        if site is None:
            if isinstance(arg.value, cst.Name):  # `cmd = "sh -c "; cmd += f"echo {x}"`
                return _quote_pieces(source, assembled_strings(source, arg.value, call))
            return None
        tokens = _tokens(site.built.parts)
        if tokens is None or _chooses_program(tokens):
            return None
        editors = {source.path: Editor(source)}
        if site.source.path not in editors:
            editors[site.source.path] = Editor(site.source)
        sink_editor, site_editor = editors[source.path], editors[site.source.path]

        words = _words(tokens)
        # A value already quoted for the shell would keep its quotes as an argument.
        quoted = any(site.source.calls_one_of(value.expression, _SHELL_QUOTES) for value in site.built.values)
        if words is not None and site.listable and not quoted and not names & _QUOTE_ONLY:
            listed = _as_list(site.source, words)
            if listed is not None and _listify(
                sink_editor, call, arg, site, listed, bool(names & _SUBPROCESS)
            ):
                each = "one argument" if len(_unsafe(site)) == 1 else "one argument each"
                return finish(
                    f"Run the command as an argument list without a shell, so {_names(site)} "
                    f"can only be {each}",
                    *editors.values(),
                )
        if not _quote(site_editor, site, tokens):
            return None
        return finish(
            f"Quote {_names(site)} with shlex.quote before pasting into the shell command",
            *editors.values(),
        )


def _quote_pieces(source: SourceFile, pieces: list[Built] | None) -> Fix | None:
    """Each piece of a command a shell runs, its values quoted where they are pasted."""
    sites = [_Site(source, built, listable=False) for built in pieces or ()]
    sites = [site for site in sites if _unsafe(site)]
    if not sites:
        return None
    editor = Editor(source)
    for site in sites:
        tokens = _tokens(site.built.parts)
        if tokens is None or not _quote(editor, site, tokens):
            return None
    names = ", ".join(_names(site) for site in sites)
    return finish(f"Quote {names} with shlex.quote before pasting into the shell command", editor)


def _unsafe(site: _Site) -> list[Value]:
    return [value for value in site.built.values if not _safe(site.source, value)]


def _names(site: _Site) -> str:
    return ", ".join(f"`{site.source.code(value.expression)}`" for value in _unsafe(site))


# -- where the command is built ------------------------------------------------------------------


def _site(source: SourceFile, node: cst.BaseExpression, finding: Finding, read: Reader) -> _Site | None:
    built = decompose(node)
    if built is not None:
        return _Site(source, built)
    if not isinstance(node, cst.Name):
        return None
    assign = source.single_assignment(node)
    if assign is not None:
        built = decompose(assign.value)
        if built is None:
            return None
        return _Site(source, built, assign, listable=source.reads(node) == [node])
    if source.is_parameter(node):
        return _caller_site(source, node, finding, read)
    return None


def _caller_site(source: SourceFile, param: cst.Name, finding: Finding, read: Reader) -> _Site | None:
    """The command as built by the caller the trace passes through, when the sink runs a
    parameter of its function."""
    for passed in passed_arguments(source, param, finding, read):
        built = decompose(passed.arg.value)
        if built is not None:
            return _Site(passed.source, built, listable=False)
        if isinstance(passed.arg.value, cst.Name):
            assign = passed.source.single_assignment(passed.arg.value)
            built = decompose(assign.value) if assign is not None else None
            if assign is not None and built is not None:
                return _Site(passed.source, built, assign, listable=False)
    return None


# -- reading the command as the shell would -------------------------------------------------------


def _tokens(parts: Sequence[Part]) -> list[_Token] | None:
    """Every character and value with the shell quote it sits in; None when a quote is left
    open."""
    tokens: list[_Token] = []
    quote: str | None = None
    for part in parts:
        if isinstance(part, Value):
            tokens.append(_Token(part, quote))
            continue
        for char in part.value:
            if quote is None and char in "'\"":
                tokens.append(_Token(char, None))
                quote = char
            elif quote is not None and char == quote:
                quote = None
                tokens.append(_Token(char, None))
            else:
                tokens.append(_Token(char, quote))
    return None if quote is not None else tokens


def _chooses_program(tokens: Sequence[_Token]) -> bool:
    """A value in the first word picks the program: neither fix would stop that."""
    started = False
    for token in tokens:
        if isinstance(token.item, Value):
            return True
        blank = token.quote is None and token.item in " \t"
        if blank and started:
            return False
        started = started or not blank
    return False


def _words(tokens: Sequence[_Token]) -> list[list[Part]] | None:
    """The command split into words as `sh` splits it, quotes removed; None when any literal
    character has a meaning to the shell beyond splitting words."""
    words: list[list[Part]] = []
    current: list[Part] = []
    started = False
    for position, token in enumerate(tokens):
        item = token.item
        if isinstance(item, Value):
            current.append(item)
            started = True
            continue
        if token.quote is None:
            if item in " \t":
                if started:
                    words.append(current)
                current, started = [], False
                continue
            if item in "'\"":
                started = True
                continue
            if item in _META or (item == "=" and not words and not _quoted_before(tokens, position)):
                return None  # `=` in the first word may be `NAME=value command`
        elif token.quote == '"' and item in _META_IN_DOUBLE:
            return None
        started = True
        if current and isinstance(current[-1], Text):
            current[-1] = Text(current[-1].value + item)
        else:
            current.append(Text(item))
    if started:
        words.append(current)
    return words


def _quoted_before(tokens: Sequence[_Token], position: int) -> bool:
    return any(token.quote is not None for token in tokens[:position])


def _as_list(source: SourceFile, words: Sequence[Sequence[Part]]) -> cst.List | None:
    elements: list[cst.Element] = []
    for word in words:
        if all(isinstance(part, Text) for part in word):
            elements.append(
                cst.Element(string_literal("".join(p.value for p in word if isinstance(p, Text))))
            )
            continue
        if len(word) == 1 and isinstance(word[0], Value):
            value = word[0]
            if value.conversion or value.spec:
                return None
            expression = value.expression
            if value.converted and not is_text(source, expression):
                expression = cst.Call(cst.Name("str"), [cst.Arg(expression)])
            elements.append(cst.Element(expression))
            continue
        joined = fstring(word)
        if joined is None:
            return None
        elements.append(cst.Element(joined))
    return cst.List(elements)


# -- the two rewrites ------------------------------------------------------------------------------


def _listify(
    editor: Editor, call: cst.Call, arg: cst.Arg, site: _Site, listed: cst.List, subprocess_call: bool
) -> bool:
    run = None if subprocess_call else editor.ref("subprocess", "run", call)
    if run is None and not subprocess_call:
        return False
    command: cst.BaseExpression = listed
    if site.assign is not None:
        editor.replace(site.assign, site.assign.with_changes(value=listed))
        command = arg.value
    if run is None:
        shell = keyword(call, "shell")
        args = [*call.args]
        args[args.index(arg)] = arg.with_changes(value=command)
        rewritten = call.with_changes(args=args)
        editor.replace(call, without_arg(rewritten, shell) if shell is not None else rewritten)
        return True
    replacement: cst.BaseExpression = cst.Call(
        run, [cst.Arg(command), keyword_arg("check", cst.Name("False"))]
    )
    if not isinstance(editor.source.parents.get(call), cst.Expr):
        # os.system's result is the exit status; keep its meaning where it is used.
        replacement = cst.Attribute(replacement, cst.Name("returncode"))
    editor.replace(call, replacement.with_changes(lpar=call.lpar, rpar=call.rpar))
    if isinstance(call.func, cst.Name):  # `from os import system`
        editor.drop_unused("os", call.func.value)
    editor.drop_unused("os")
    return True


def _quote(editor: Editor, site: _Site, tokens: Sequence[_Token]) -> bool:
    """Wrap each unsanitised value in `shlex.quote()`, in place; where the command put a
    value in quotes, rebuild it as an f-string without them."""
    source = site.source
    quote = editor.ref("shlex", "quote", site.built.node)
    if quote is None:
        return False
    wrapped: dict[int, cst.BaseExpression] = {}
    for value in site.built.values:
        if _safe(source, value):
            continue
        if value.conversion or value.spec:
            return False
        inner = value.expression
        if value.converted and not is_text(source, inner):
            inner = cst.Call(cst.Name("str"), [cst.Arg(inner)])
        wrapped[id(value)] = cst.Call(quote, [cst.Arg(inner)])
    if not wrapped:
        return False
    if all(isinstance(t.item, str) or t.quote is None for t in tokens):
        for value in site.built.values:
            if id(value) in wrapped:
                editor.replace(value.expression, wrapped[id(value)])
        return True
    parts = _unquoted_parts(tokens, wrapped)
    rebuilt = fstring(parts, site.built.quote) if parts is not None else None
    if rebuilt is None:
        return False
    editor.replace(site.built.node, rebuilt)
    return True


def _safe(source: SourceFile, value: Value) -> bool:
    """A value that cannot carry shell syntax: a number, or already quoted."""
    if value.spec and NUMERIC_SPEC.match(value.spec) and not value.conversion:
        return True
    expression = value.expression
    if isinstance(expression, cst.Integer | cst.Float):
        return True
    return source.calls_one_of(expression, _SANITISED)


def _unquoted_parts(tokens: Sequence[_Token], wrapped: dict[int, cst.BaseExpression]) -> list[Part] | None:
    """The command with the quotes around each quoted value removed and values wrapped;
    None when a value shares its quotes with other text."""
    drop: set[int] = set()
    for position, token in enumerate(tokens):
        if not isinstance(token.item, Value) or token.quote is None:
            continue
        before = tokens[position - 1] if position else None
        after = tokens[position + 1] if position + 1 < len(tokens) else None
        if before is None or after is None or before.item != token.quote or after.item != token.quote:
            return None
        drop.update((position - 1, position + 1))
    parts: list[Part] = []
    for position, token in enumerate(tokens):
        if position in drop:
            continue
        item = token.item
        if isinstance(item, Value):
            replacement = wrapped.get(id(item))
            parts.append(Value(replacement, converted=True) if replacement is not None else item)
        elif parts and isinstance(parts[-1], Text):
            parts[-1] = Text(parts[-1].value + item)
        else:
            parts.append(Text(item))
    return parts
