"""CWE-78: the canary must run as a command of its own, not merely appear in one.

A shell command line is tokenised with `shlex` (non-POSIX mode keeps quotes on tokens, so a
quoted canary - as `shlex.quote` makes it - stays inside one quoted word and is not confirmed).
The canary is confirmed when it stands in command position: after a control operator, a
newline, `$(` or a backtick, or inside a double-quoted `$(...)`/backtick substitution. Argv-style
sinks confirm when the canary is the program itself.
"""

from __future__ import annotations

import shlex
from pathlib import PurePosixPath

from firstpatch.model import OracleEvent
from firstpatch.prove._protocol import Json
from firstpatch.prove.interface import Observation, Oracle
from firstpatch.prove.oracles._records import records, shorten, strings, text

_CONTROL = frozenset({";", "|", "||", "&", "&&", "(", "`", "\n", ";;", "|&"})
_SHELLS = frozenset({"sh", "bash", "dash", "zsh", "ksh", "ash", "busybox"})


def command_position(command: str, canary: str) -> str | None:
    """The operator before the canary when it runs as its own command in `command`."""
    lexer = shlex.shlex(command, posix=False, punctuation_chars=True)
    lexer.whitespace = " \t\r"  # a newline separates commands: keep it as a token
    try:
        tokens = list(lexer)
    except ValueError:  # unbalanced quotes: the shell would refuse it too
        return None
    for index, token in enumerate(tokens):
        if token.startswith('"') and (f"$({canary}" in token or f"`{canary}" in token):
            return "substitution inside double quotes"
        if token != canary:
            continue
        previous = tokens[index - 1] if index else ""
        before = tokens[index - 2] if index > 1 else ""
        if before == "\\":  # an escaped operator is a literal character
            continue
        if previous == "(" and before == "$":
            return "$("
        if previous in _CONTROL:
            return "newline" if previous == "\n" else previous
        if not previous:
            return "start of the command"
    return None


def shell_command(argv: list[str]) -> str | None:
    """The command string when `argv` runs a shell with `-c`."""
    if len(argv) >= 3 and PurePosixPath(argv[0]).name in _SHELLS and argv[1] == "-c":
        return argv[2]
    return None


class CommandInjectionOracle(Oracle):
    cwe = 78
    name = "command-structure"
    watched = frozenset({"os.system", "subprocess.Popen", "os.exec", "os.posix_spawn", "os.spawn"})

    def judge(self, observation: Observation) -> OracleEvent | None:
        canary = observation.payload.canary
        for record in records(observation, *self.watched):
            argv = self._argv(record.event, list(record.args))
            command = text(record.args[0]) if record.event == "os.system" and record.args else None
            command = command or shell_command(argv)
            if command is not None:
                operator = command_position(command, canary)
                if operator:
                    return OracleEvent(
                        f"audit:{record.event}",
                        f"{record.event} ran {shorten(command)!r}: {canary!r} is a separate command"
                        f" after {operator!r}",
                    )
            elif argv and PurePosixPath(argv[0]).name == canary:
                return OracleEvent(
                    f"audit:{record.event}",
                    f"{record.event} started the program {canary!r} (argv {shorten(repr(argv))})",
                )
        return None

    @staticmethod
    def _argv(event: str, args: list[Json]) -> list[str]:
        # Where the argv sits in each event's arguments (os.system has a command, no argv).
        position = {"subprocess.Popen": 1, "os.exec": 1, "os.posix_spawn": 1, "os.spawn": 2}.get(event)
        if position is None or len(args) <= position:
            return []
        value = args[position]
        return strings(value)
