"""Which Python the target runs under: the one it names, asks for, or whose grammar its code needs.

Runs on the trusted side. Interpreters are found on PATH (`python3`, `python3.N`) and in pyenv's
and uv's version folders, and asked their version by running them (an interpreter of the machine,
never the target's code). A project asks for a version with `.python-version` (pyenv's format:
"3.12" or "3.12.1") or `[project] requires-python`; when it asks for nothing, its own files decide:
the oldest installed interpreter that compiles every module the running one cannot (code written
for 3.12's f-strings needs 3.12). The sandbox child needs Python 3.11 or newer.
"""

from __future__ import annotations

import ast
import functools
import os
import re
import subprocess
import sys
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import Version

from firstpatch.errors import TargetError
from firstpatch.prove.interface import EnvironmentUnavailable
from firstpatch.target import Target

OLDEST = (3, 11)  # the sandbox child's own syntax and standard library
_NAMES = re.compile(r"^python3(\.\d+)?$")
_PROBE = "import sys; print('%d.%d.%d' % sys.version_info[:3]); print(sys.prefix)"
_COMPILE_BATCH = 200


@dataclass(frozen=True, slots=True)
class Interpreter:
    path: str  # as found (a venv's python stays a symlink: resolving it would leave the venv)
    version: Version

    @property
    def minor(self) -> tuple[int, int]:
        return self.version.major, self.version.minor


@dataclass(frozen=True, slots=True)
class Choice:
    interpreter: Interpreter
    why: str  # for the log: what asked for it


def describe(path: str) -> Interpreter:
    """The interpreter at `path`; EnvironmentUnavailable when it does not run or is too old."""
    try:
        completed = subprocess.run(
            [path, "-I", "-c", _PROBE], capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise EnvironmentUnavailable(f"{path}: not a Python interpreter that runs here ({exc})") from exc
    lines = completed.stdout.split()
    if completed.returncode != 0 or not lines:
        raise EnvironmentUnavailable(
            f"{path}: not a Python interpreter that runs here (exit {completed.returncode})"
        )
    version = Version(lines[0])
    if (version.major, version.minor) < OLDEST:
        raise EnvironmentUnavailable(f"{path}: Python {version} is too old for the sandbox (3.11 or newer)")
    return Interpreter(path, version)


@functools.cache
def installed() -> tuple[Interpreter, ...]:
    """Every distinct interpreter (3.11+) found on this machine, oldest first."""
    found: dict[str, Interpreter] = {}
    for candidate in _candidates():
        real = os.path.realpath(candidate)
        if real in found:
            continue
        try:
            found[real] = describe(candidate)
        except EnvironmentUnavailable:
            continue
    return tuple(sorted(found.values(), key=lambda interpreter: interpreter.version))


def _candidates() -> Iterable[str]:
    yield sys.executable
    for folder in os.environ.get("PATH", "").split(os.pathsep):
        try:
            paths = sorted(Path(folder).iterdir()) if folder else []
        except OSError:
            continue
        # pyenv shims are slow scripts that stand for the versions found below anyway.
        yield from (str(p) for p in paths if _NAMES.match(p.name) and p.parent.name != "shims")
    pyenv = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv") / "versions"
    uv = Path(os.environ.get("UV_PYTHON_INSTALL_DIR") or Path.home() / ".local/share/uv/python")
    for pattern, base in (("*/bin/python3", pyenv), ("cpython-*/bin/python3", uv)):
        yield from (str(path) for path in sorted(base.glob(pattern)) if path.is_file())


def requested(root: Path) -> tuple[SpecifierSet, str] | None:
    """The versions the project asks for, and where it says so."""
    pinned = root / ".python-version"
    if pinned.is_file() and not pinned.is_symlink():
        for line in pinned.read_text(encoding="utf-8", errors="replace").splitlines():
            wanted = line.strip()
            if re.fullmatch(r"3\.\d+", wanted):
                return SpecifierSet(f"=={wanted}.*"), f".python-version {wanted}"
            if re.fullmatch(r"3\.\d+\.\d+", wanted):
                minor = wanted.rsplit(".", 1)[0]  # the same minor version runs the same code
                return SpecifierSet(f"=={minor}.*"), f".python-version {wanted}"
    pyproject = root / "pyproject.toml"
    if pyproject.is_file() and not pyproject.is_symlink():
        try:
            project = tomllib.loads(pyproject.read_text(encoding="utf-8")).get("project", {})
            declared = project.get("requires-python") if isinstance(project, dict) else None
            if isinstance(declared, str):
                return SpecifierSet(declared), f"requires-python {declared}"
        except (tomllib.TOMLDecodeError, UnicodeDecodeError, InvalidSpecifier):
            return None
    return None


def choose(root: Path) -> Choice:
    """The interpreter to build the target's environment with (the running one unless the
    project asks for, or its code needs, another that is installed)."""
    running = Interpreter(sys.executable, Version(".".join(map(str, sys.version_info[:3]))))
    asked = requested(root)
    if asked is not None:
        specifiers, source = asked
        if running.version in specifiers:
            return Choice(running, f"{source}: the running interpreter")
        # The oldest that fits: dependencies are likelier to have wheels for it.
        fitting = [i for i in installed() if i.version in specifiers]
        oldest_minor = [i for i in fitting if i.minor == fitting[0].minor] if fitting else []
        if oldest_minor:
            return Choice(oldest_minor[-1], source)
        return Choice(running, f"{source}, but no such interpreter is installed: the running one")
    failing = _uncompilable(root)
    if not failing:
        return Choice(running, "the running interpreter compiles every module")
    for interpreter in installed():
        if interpreter.version > running.version and not _fails_on(interpreter, root, failing):
            return Choice(
                interpreter, f"its code needs a newer grammar than {running.version} ({len(failing)} files)"
            )
    return Choice(running, f"no installed interpreter compiles its code ({len(failing)} files)")


def _uncompilable(root: Path) -> list[str]:
    """The target's modules (relative paths) that the running interpreter cannot parse."""
    try:
        target = Target.open(root)
    except TargetError:
        return []
    failing = []
    for path in target.files(suffixes=(".py",)):
        text = target.read_text(path)
        if text is None:
            continue
        try:
            ast.parse(text)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            failing.append(target.relative(path))
    return failing


# Compiles (never runs) each file named on stdin; prints the ones that fail.
_COMPILE = (
    "import sys\n"
    "for name in sys.stdin.read().splitlines():\n"
    "    try:\n"
    "        compile(open(name, 'rb').read(), name, 'exec', dont_inherit=True)\n"
    "    except (SyntaxError, ValueError, RecursionError, MemoryError):\n"
    "        print(name)\n"
)


def _fails_on(interpreter: Interpreter, root: Path, files: list[str]) -> bool:
    for start in range(0, len(files), _COMPILE_BATCH):
        batch = "\n".join(files[start : start + _COMPILE_BATCH])
        try:
            completed = subprocess.run(
                [interpreter.path, "-I", "-B", "-c", _COMPILE],
                input=batch,
                capture_output=True,
                text=True,
                cwd=root,
                timeout=120,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired):
            return True
        if completed.returncode != 0 or completed.stdout.strip():
            return True
    return False
