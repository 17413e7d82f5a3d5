"""An installed Python environment: the distributions in its site-packages.

`--python PATH` names an interpreter (`.venv/bin/python`, `/usr/bin/python3.11`), a virtual
environment, an installation prefix or a site-packages folder. The interpreter is never run —
it may belong to the hostile target — so its site-packages are found from the layout on disk:
`pyvenv.cfg` marks a virtual environment (and says whether the base installation's packages are
visible too), `lib/pythonX.Y/site-packages`, Debian's `dist-packages` and Windows' `Lib` hold
the distributions. Each `*.dist-info/METADATA` (or older `*.egg-info/PKG-INFO`) gives a name
and a version, read by `packaging.metadata`; a `REQUESTED` file (PEP 376) marks a distribution
installed on request rather than as someone's dependency.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

from packaging.metadata import parse_email

from firstpatch.errors import TargetError
from firstpatch.inventory._merge import merge
from firstpatch.inventory._pypi import pypi_component
from firstpatch.model import Component, Location, Skipped

_MAX_METADATA_BYTES = 1024 * 1024  # only the headers are needed; they come first
_INTERPRETER = re.compile(r"^python(\d+\.\d+)?[a-z]*(?:\.exe)?$")
_SITE_FOLDERS = ("site-packages", "dist-packages")


def environment_components(
    python: str | Path, root: Path | None = None
) -> tuple[tuple[Component, ...], tuple[Skipped, ...]]:
    """The distributions installed for `python`; locations are relative to `root` when inside it.

    Raises `TargetError` when `python` does not exist or holds no site-packages.
    """
    given = Path(python)
    if not given.exists():
        raise TargetError(f"{given}: no such interpreter, environment or folder")
    folders = site_folders(given)
    if not folders:
        raise TargetError(f"{given}: no site-packages found for this interpreter or environment")
    components: list[Component] = []
    problems: list[Skipped] = []
    for folder in folders:
        found, skipped = site_components(folder, lambda p: _shown(p, root))
        components.extend(found)
        problems.extend(skipped)
    return merge(components), tuple(problems)


def site_folders(given: Path) -> list[Path]:
    """The site-packages folders an interpreter, environment, prefix or folder stands for."""
    if given.is_dir() and given.name in _SITE_FOLDERS:
        return [given]
    version = None
    if given.is_file():
        match = _INTERPRETER.match(given.resolve().name) or _INTERPRETER.match(given.name)
        version = match.group(1) if match else None
        prefix = given.parent.parent if given.parent.name in ("bin", "Scripts") else given.parent
    else:
        prefix = given
    folders = _prefix_folders(prefix, version)
    config = prefix / "pyvenv.cfg"
    if config.is_file():
        values = _pyvenv_cfg(config.read_text(encoding="utf-8", errors="replace"))
        version = version or _short_version(values.get("version_info") or values.get("version", ""))
        if not folders:
            folders = _prefix_folders(prefix, version)
        home = values.get("home", "")
        if values.get("include-system-site-packages", "false").lower() == "true" and home:
            base = Path(home)
            folders += _prefix_folders(base.parent if base.name in ("bin", "Scripts") else base, version)
    return list(dict.fromkeys(folders))


def _prefix_folders(prefix: Path, version: str | None) -> list[Path]:
    patterns = [f"lib/python{version or '3*'}/site-packages", f"lib64/python{version or '3*'}/site-packages"]
    patterns += ["lib/python3/dist-packages", f"local/lib/python{version or '3*'}/dist-packages"]
    patterns += ["Lib/site-packages"]
    return sorted(p for pattern in patterns for p in prefix.glob(pattern) if p.is_dir())


def _pyvenv_cfg(text: str) -> dict[str, str]:
    pairs = (line.partition("=") for line in text.splitlines())
    return {key.strip(): value.strip() for key, sep, value in pairs if sep}


def _short_version(text: str) -> str | None:
    match = re.match(r"^(\d+)\.(\d+)", text.strip())
    return f"{match.group(1)}.{match.group(2)}" if match else None


def site_components(
    folder: Path, show: Callable[[Path], str] = Path.as_posix
) -> tuple[list[Component], list[Skipped]]:
    """The distributions in one site-packages folder; `show` names a file in locations."""
    components: list[Component] = []
    problems: list[Skipped] = []
    for metadata, requested in _metadata_files(folder):
        where = show(metadata)
        if metadata.is_symlink():
            problems.append(Skipped(where, "metadata is a symlink; not followed"))
            continue
        try:
            with metadata.open("rb") as handle:
                head = handle.read(_MAX_METADATA_BYTES)
        except OSError as exc:
            problems.append(Skipped(where, f"cannot read: {exc.strerror}"))
            continue
        text = head.decode("utf-8", errors="replace").split("\n\n", 1)[0]
        raw, _ = parse_email(text)
        name, version = raw.get("name"), raw.get("version")
        if not name or not version:
            problems.append(Skipped(where, "metadata without Name and Version"))
            continue
        line = next((n for n, row in enumerate(text.splitlines(), 1) if row.startswith("Version:")), 0)
        location = Location(where, line, 1 if line else 0, snippet=f"Version: {version}" if line else "")
        components.append(pypi_component(name, version, location, direct=requested))
    return components, problems


def _metadata_files(folder: Path) -> Iterator[tuple[Path, bool]]:
    for entry in sorted(folder.iterdir()):
        if entry.name.endswith(".dist-info") and entry.is_dir():
            yield entry / "METADATA", (entry / "REQUESTED").exists()
        elif entry.name.endswith(".egg-info"):
            # setuptools' older layout: a folder holding PKG-INFO, or the file itself
            yield (entry / "PKG-INFO" if entry.is_dir() else entry), True


def _shown(path: Path, root: Path | None) -> str:
    if root is not None:
        try:
            # The folder resolved, not the file: a symlinked file is named where it sits.
            return (path.parent.resolve() / path.name).relative_to(root.resolve()).as_posix()
        except ValueError:
            pass
    return path.as_posix()
