"""A cached virtual environment holding the target's own declared dependencies (--install-deps).

The requirements are read on the trusted side (requirements*.txt lines and pyproject.toml's
[project] dependencies, never setup.py), hashed, and installed with pip into a virtual environment
under the user's cache folder keyed by that hash and the interpreter, so a second run reuses it.
The environment is built with the interpreter the project asks for or needs (`interpreters.choose`),
or the one given; the sandbox child then runs with it (the child needs only the standard library).
The environment is created without pip and filled by firstpatch's own pip (`pip --python`), which
saves seconds per environment; when firstpatch's interpreter has no pip, the environment gets its
own. pip runs outside the sandbox (it needs the package index) but installs only named
requirements: no target code runs, and local paths, editable installs and pip options in the files
are skipped.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import re
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from packaging.utils import canonicalize_name

from firstpatch.prove.interface import EnvironmentUnavailable
from firstpatch.prove.interpreters import Choice, choose, describe

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*(\[[A-Za-z0-9,._ -]+\])?\s*([<>=!~;@ ].*)?$")


@dataclass(frozen=True, slots=True)
class TargetEnvironment:
    python: str  # the interpreter the sandbox child runs with
    requirements: tuple[str, ...]
    skipped: tuple[str, ...]  # lines not installed, with why
    reused: bool
    base: str = ""  # the interpreter the environment was created with, and why it was chosen


def declared_requirements(root: Path) -> tuple[list[str], list[str]]:
    """(requirements to install, skipped lines with reasons) from the target's manifests."""
    wanted: list[str] = []
    skipped: list[str] = []
    for path in sorted(root.glob("requirements*.txt")):
        if path.is_symlink() or not path.is_file():
            continue
        for number, raw in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
            line = raw.split(" #", 1)[0].strip()
            if not line or line.startswith("#"):
                continue
            if line.startswith(("-", ".", "/")) or "://" in line or not _NAME.match(line):
                skipped.append(f"{path.name}:{number}: {line} (only named requirements are installed)")
                continue
            wanted.append(line)
    pyproject = root / "pyproject.toml"
    if pyproject.is_file() and not pyproject.is_symlink():
        try:
            project = tomllib.loads(pyproject.read_text(encoding="utf-8")).get("project", {})
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            skipped.append(f"pyproject.toml: {exc}")
            project = {}
        for line in project.get("dependencies", []) if isinstance(project, dict) else []:
            if isinstance(line, str) and _NAME.match(line.strip()) and "://" not in line:
                wanted.append(line.strip())
            else:
                skipped.append(f"pyproject.toml: {line!r} (only named requirements are installed)")
    return list(dict.fromkeys(wanted)), skipped


# What a sandbox runner needs beside the framework the target declares: Starlette's TestClient
# (FastAPI's too) is built on httpx, which applications rarely declare.
_RUNNER_NEEDS = {"fastapi": "httpx", "starlette": "httpx"}


def runner_needs(requirements: Sequence[str]) -> list[str]:
    """Requirements the sandbox's runners need for the frameworks in `requirements`."""
    names = {canonicalize_name(re.split(r"[\s\[<>=!~;@]", line, maxsplit=1)[0]) for line in requirements}
    return sorted({need for framework, need in _RUNNER_NEEDS.items() if framework in names} - names)


def prepare(
    root: Path,
    cache: Path | None = None,
    pip_args: Sequence[str] = (),
    python: str | None = None,
) -> TargetEnvironment:
    """The environment for `root`'s requirements, created (or reused) under `cache`.

    `python` is the interpreter to create it with (default: `interpreters.choose`); `pip_args`
    go to `pip install` (tests pass `--no-index --find-links DIR`)."""
    import platformdirs

    chosen = Choice(describe(python), "given") if python else choose(root)
    interpreter = chosen.interpreter
    base_note = f"{interpreter.path} (Python {interpreter.version}; {chosen.why})"
    requirements, skipped = declared_requirements(root)
    requirements += runner_needs(requirements)
    identity = [
        os.path.realpath(interpreter.path),
        str(interpreter.version),
        *sorted(requirements),
        *pip_args,
    ]
    key = hashlib.sha256("\n".join(identity).encode()).hexdigest()[:16]
    base = cache or Path(platformdirs.user_cache_dir("firstpatch")) / "target-envs"
    folder = base / key
    venv_python = folder / "bin" / "python"
    marker = folder / ".complete"
    found = (tuple(requirements), tuple(skipped))
    if marker.is_file() and venv_python.exists():
        return TargetEnvironment(str(venv_python), *found, reused=True, base=base_note)
    if folder.exists():
        shutil.rmtree(folder)  # a half-built environment from an interrupted run
    base.mkdir(parents=True, exist_ok=True)
    own_pip = importlib.util.find_spec("pip") is not None
    create = [interpreter.path, "-m", "venv", *(["--without-pip"] if own_pip else []), str(folder)]
    _run(create, "create the virtual environment")
    if requirements:
        pip = (
            [sys.executable, "-m", "pip", "--python", str(venv_python)]
            if own_pip
            else [str(venv_python), "-m", "pip"]
        )
        _run(
            [*pip, "install", "--disable-pip-version-check", "-q", *pip_args, *requirements],
            "install the target's requirements",
        )
    marker.write_text("\n".join(requirements))
    return TargetEnvironment(str(venv_python), *found, reused=False, base=base_note)


def _run(command: list[str], what: str) -> None:
    # pip needs the user's index, proxy and certificate settings, and nothing else of the shell.
    passed = ("PIP_", "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "no_proxy")
    env = {name: value for name, value in os.environ.items() if name.startswith(passed)}
    for name in ("SSL_CERT_FILE", "SSL_CERT_DIR", "REQUESTS_CA_BUNDLE"):
        if name in os.environ:
            env[name] = os.environ[name]
    env |= {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(Path.home())}
    completed = subprocess.run(command, capture_output=True, text=True, check=False, env=env, timeout=1800)
    if completed.returncode != 0:
        tail = (completed.stderr or completed.stdout).strip().splitlines()[-3:]
        raise EnvironmentUnavailable(f"could not {what}: {' / '.join(tail)}")
