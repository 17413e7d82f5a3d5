"""The command-line driver: programs whose input is their arguments, environment or stdin.

The program is run the way its entry point runs it: a console script declared in pyproject.toml
calls its function; a module with a `__main__` block (or top-level code) runs as `__main__`.
Arguments are shaped from the program's own source: the positionals and options it declares with
argparse, the highest `sys.argv[N]` it reads, the environment variables it looks up.
"""

from __future__ import annotations

import ast
import base64
import shlex
import tomllib
from dataclasses import dataclass
from pathlib import Path

from firstpatch.model import EntryPoint, Finding, InputKind
from firstpatch.prove._applocate import AppLocator, module_name
from firstpatch.prove._hints import parse_file, read_hints
from firstpatch.prove._protocol import Json
from firstpatch.prove._webdriver import Plan, WebDriver
from firstpatch.prove.interface import Oracle
from firstpatch.prove.payloads import payloads_for

MAX_FILE = 1024 * 1024


@dataclass(frozen=True, slots=True)
class ProgramInput:
    """argv (without the program name), extra environment variables and stdin bytes."""

    program: str  # how a user would start it, for the command line
    argv: tuple[str, ...] = ()
    env: tuple[tuple[str, str], ...] = ()
    stdin: bytes = b""

    def to_json(self, canary: str) -> dict[str, Json]:
        return {
            "canary": canary,
            "argv": list(self.argv),
            "env": dict(self.env),
            "stdin": base64.b64encode(self.stdin).decode("ascii"),
        }

    def curl(self) -> str:
        """The equivalent shell command line (there is no HTTP request for a program)."""
        env = " ".join(f"{name}={shlex.quote(value)}" for name, value in self.env)
        command = " ".join(part for part in (env, self.program, *map(shlex.quote, self.argv)) if part)
        if self.stdin:
            return f"printf '%s' {shlex.quote(self.stdin.decode('utf-8', 'replace'))} | {command}"
        return command


@dataclass(frozen=True, slots=True)
class ProgramLocator(AppLocator):
    mode: str = "module"  # "module" (python -m), "script" (python FILE) or "call" (a console script)
    function: str | None = None

    def describe(self) -> str:
        return f"{self.module}:{self.function}" if self.mode == "call" else f"python -m {self.module}"

    def to_json(self) -> dict[str, Json]:
        return {
            "path_entry": self.path_entry,
            "module": self.module,
            "file": self.file,
            "mode": self.mode,
            "function": self.function,
            "name": self.module.rsplit(".", 1)[-1],
        }


class CliDriver(WebDriver):
    framework = "cli"
    runner = "cli"
    label = "command-line"

    def locate(self, root: Path, entry: EntryPoint) -> AppLocator | str:
        path = root / entry.location.path
        if not path.is_file() or path.suffix != ".py":
            return f"no program file {entry.location.path}"
        entry_folder, module = module_name(root, path)
        function = entry.function.rsplit(".", 1)[-1]
        if function != "<module>":
            script = _console_script(root, module, function)
            if script is not None:
                return ProgramLocator(
                    entry_folder, module, entry.location.path, mode="call", function=function
                )
        return ProgramLocator(entry_folder, module, entry.location.path, mode="module")

    def plan(
        self, root: Path, index: int, finding: Finding, oracle: Oracle, route: str | None = None
    ) -> Plan:
        entry = finding.entry_point
        assert entry is not None  # noqa: S101 - callers filter findings without one
        shape = _shape(root / entry.location.path)
        hints = read_hints(root, finding)
        program = f"python -m {module_name(root, root / entry.location.path)[1]}"
        attempts = []
        for payload in payloads_for(oracle.cwe, self._canaries):
            value = payload.value if isinstance(payload.value, str) else payload.value.decode("latin-1")
            attempts.append((payload, _input(program, entry, shape, hints.names_for(InputKind.ENV), value)))
        return Plan(f"f{index}", finding, oracle, tuple(attempts), hints)


@dataclass(frozen=True, slots=True)
class _Shape:
    positionals: tuple[str, ...] = ()
    options: tuple[str, ...] = ()
    argv_index: int = 0  # the highest sys.argv[N] read


def _shape(path: Path) -> _Shape:
    tree = parse_file(path)
    if tree is None:
        return _Shape()
    positionals: list[str] = []
    options: list[str] = []
    index = 0
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "add_argument"
        ):
            names = [a.value for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
            if names and not names[0].startswith("-"):
                positionals.append(names[0])
            elif names:
                options.append(max(names, key=len))
        elif (
            isinstance(node, ast.Subscript)
            and ast.unparse(node.value) == "sys.argv"
            and isinstance(node.slice, ast.Constant)
            and isinstance(node.slice.value, int)
        ):
            index = max(index, node.slice.value)
    return _Shape(tuple(positionals), tuple(options), index)


def _input(
    program: str, entry: EntryPoint, shape: _Shape, env_names: tuple[str, ...], value: str
) -> ProgramInput:
    kind = entry.input_kind or InputKind.ARGV
    parameter = entry.parameter
    filler = "x"
    if kind is InputKind.ARGV:
        wanted = {parameter} if parameter else set(shape.positionals)
        argv = [value if name in wanted else filler for name in shape.positionals]
        option = next(
            (o for o in shape.options if parameter and o.lstrip("-").replace("-", "_") == parameter), None
        )
        if option is not None:
            argv = [option, value, *argv]
        if not argv:
            argv = [value] * max(1, shape.argv_index)
        return ProgramInput(program, tuple(argv))
    base = tuple(filler for _ in shape.positionals) or tuple(filler for _ in range(shape.argv_index))
    if kind is InputKind.ENV:
        names = (parameter,) if parameter else env_names
        return ProgramInput(program, base, tuple((name, value) for name in names))
    return ProgramInput(program, base, stdin=(value + "\n").encode("utf-8"))


def _console_script(root: Path, module: str, function: str) -> str | None:
    """The console script name that pyproject.toml maps to `module:function`, if any."""
    path = root / "pyproject.toml"
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError):
        return None
    scripts = data.get("project", {}).get("scripts", {})
    for name, target in scripts.items() if isinstance(scripts, dict) else ():
        if isinstance(target, str) and target.replace(" ", "") in (f"{module}:{function}",):
            return str(name)
    return None


__all__ = ["CliDriver", "ProgramInput"]
