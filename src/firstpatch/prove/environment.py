"""A cached virtual environment holding the target's own declared dependencies (--install-deps).

The requirements are read on the trusted side (requirements*.txt lines and pyproject.toml's
[project] dependencies, never setup.py), hashed, and installed with pip into a virtual environment
under the user's cache folder keyed by that hash, so a second run reuses it. The sandbox child then
runs with that environment's interpreter; firstpatch's own package is appended to its path. pip
runs outside the sandbox (it needs the package index) but installs only named requirements: no
target code runs, and local paths, editable installs and pip options in the files are skipped.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from firstpatch.prove.interface import ProveError

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*(\[[A-Za-z0-9,._ -]+\])?\s*([<>=!~;@ ].*)?$")


@dataclass(frozen=True, slots=True)
class TargetEnvironment:
    python: str  # the interpreter the sandbox child runs with
    requirements: tuple[str, ...]
    skipped: tuple[str, ...]  # lines not installed, with why
    reused: bool


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


def prepare(
    root: Path,
    cache: Path | None = None,
    pip_args: Sequence[str] = (),
) -> TargetEnvironment:
    """The environment for `root`'s requirements, created (or reused) under `cache`.

    `pip_args` go to `pip install` (tests pass `--no-index --find-links DIR`)."""
    import platformdirs  # here: the sandbox child imports this package and has only the stdlib

    requirements, skipped = declared_requirements(root)
    key = hashlib.sha256("\n".join([sys.version, *sorted(requirements), *pip_args]).encode()).hexdigest()[:16]
    base = cache or Path(platformdirs.user_cache_dir("firstpatch")) / "target-envs"
    folder = base / key
    python = folder / "bin" / "python"
    marker = folder / ".complete"
    if marker.is_file() and python.exists():
        return TargetEnvironment(str(python), tuple(requirements), tuple(skipped), reused=True)
    if folder.exists():
        shutil.rmtree(folder)  # a half-built environment from an interrupted run
    base.mkdir(parents=True, exist_ok=True)
    _run([sys.executable, "-m", "venv", str(folder)], "create the virtual environment")
    if requirements:
        _run(
            [
                str(python),
                "-m",
                "pip",
                "install",
                "--disable-pip-version-check",
                "-q",
                *pip_args,
                *requirements,
            ],
            "install the target's requirements",
        )
    marker.write_text("\n".join(requirements))
    return TargetEnvironment(str(python), tuple(requirements), tuple(skipped), reused=False)


def _run(command: list[str], what: str) -> None:
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(Path.home())}
    for name in (
        "PIP_INDEX_URL",
        "PIP_EXTRA_INDEX_URL",
        "PIP_CERT",
        "SSL_CERT_FILE",
        "HTTPS_PROXY",
        "HTTP_PROXY",
    ):
        if name in os.environ:
            env[name] = os.environ[name]
    completed = subprocess.run(command, capture_output=True, text=True, check=False, env=env, timeout=1800)
    if completed.returncode != 0:
        tail = (completed.stderr or completed.stdout).strip().splitlines()[-3:]
        raise ProveError(f"could not {what}: {' / '.join(tail)}")
