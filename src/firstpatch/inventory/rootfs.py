"""OS packages (and system Python packages) in a root filesystem: an unpacked image or a mount.

The distribution comes from `etc/os-release` (else `usr/lib/os-release`), then each package
database present is read: dpkg's status (with apt's automatic-install marks), apk's installed
database (with its world file), rpm's SQLite database, and the distributions in the system
Python's site-packages. Locations are paths inside the root filesystem (`var/lib/dpkg/status`).

A root filesystem's symlinks mean what they would inside it: `/usr/lib/os-release` is resolved
against the root, never against the machine running firstpatch, and no path leaves the root.
"""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Callable
from pathlib import Path

from firstpatch.errors import TargetError
from firstpatch.inventory._merge import merge
from firstpatch.inventory.apk import apk_components, world
from firstpatch.inventory.dpkg import auto_installed, dpkg_components
from firstpatch.inventory.installed import site_components
from firstpatch.inventory.interface import Parsed
from firstpatch.inventory.os_release import Distribution, distribution, parse_os_release
from firstpatch.inventory.rpmdb import rpm_components
from firstpatch.model import Component, Skipped

MAX_DATABASE_BYTES = 256 * 1024 * 1024  # a full desktop's rpmdb.sqlite is under 100 MiB
_MAX_SYMLINK_HOPS = 40  # as the kernel allows
_RPM_DATABASES = ("var/lib/rpm/rpmdb.sqlite", "usr/lib/sysimage/rpm/rpmdb.sqlite")
_PYTHON_HOMES = ("usr/lib", "usr/local/lib")


class RootFilesystem:
    """Paths inside a root filesystem, resolved as if it were `/`."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def resolve(self, relative: str) -> Path | None:
        """The real path of `relative` inside the root, symlinks followed within it; None when
        it does not exist or a symlink loops."""
        parts = [p for p in relative.split("/") if p not in ("", ".")]
        current = self.root
        hops = 0
        while parts:
            part = parts.pop(0)
            if part == "..":
                current = current.parent if current != self.root else current
                continue
            candidate = current / part
            if candidate.is_symlink():
                hops += 1
                if hops > _MAX_SYMLINK_HOPS:
                    return None
                target = str(candidate.readlink())
                if target.startswith("/"):
                    current = self.root
                parts = [p for p in target.split("/") if p not in ("", ".")] + parts
                continue
            current = candidate
        return current if current.exists() else None

    def read_text(self, relative: str, problems: list[Skipped]) -> str | None:
        path = self.resolve(relative)
        if path is None or not path.is_file():
            return None
        try:
            if path.stat().st_size > MAX_DATABASE_BYTES:
                problems.append(Skipped(relative, f"larger than {MAX_DATABASE_BYTES // 2**20} MiB; not read"))
                return None
            return path.read_bytes().decode("utf-8", errors="replace")
        except OSError as exc:
            problems.append(Skipped(relative, f"cannot read: {exc.strerror}"))
            return None

    def children(self, relative: str, pattern: str) -> list[str]:
        """Relative paths of the entries of a folder whose names match `pattern`."""
        folder = self.resolve(relative)
        if folder is None or not folder.is_dir():
            return []
        names = sorted(entry.name for entry in folder.iterdir())
        return [f"{relative}/{name}" for name in names if fnmatch.fnmatch(name, pattern)]


def rootfs_components(path: str | os.PathLike[str]) -> tuple[tuple[Component, ...], tuple[Skipped, ...]]:
    """Every package installed in the root filesystem at `path`, and what could not be read.

    Raises `TargetError` when `path` is not a folder.
    """
    root = Path(path)
    if not root.is_dir():
        raise TargetError(f"{root}: not a root filesystem folder")
    fs = RootFilesystem(root.resolve())
    problems: list[Skipped] = []
    components: list[Component] = []
    distro = _distribution(fs, problems)
    if distro is not None:
        for parsed in _os_packages(fs, distro, problems):
            components.extend(parsed.components)
            problems.extend(parsed.problems)
    for home in _PYTHON_HOMES:
        for python in fs.children(home, "python3*"):
            for site in (*fs.children(python, "site-packages"), *fs.children(python, "dist-packages")):
                folder = fs.resolve(site)
                if folder is not None and folder.is_dir():
                    found, skipped = site_components(folder, _inside(site, folder))
                    components.extend(found)
                    problems.extend(skipped)
    return merge(components), tuple(problems)


def _inside(relative: str, folder: Path) -> Callable[[Path], str]:
    """Names files of `folder` by their path inside the root filesystem."""
    return lambda path: f"{relative}/{path.relative_to(folder).as_posix()}"


def _distribution(fs: RootFilesystem, problems: list[Skipped]) -> Distribution | None:
    for relative in ("etc/os-release", "usr/lib/os-release"):
        text = fs.read_text(relative, problems)
        if text is None:
            continue
        values = parse_os_release(text)
        found = distribution(values)
        if found is None:
            name = values.get("PRETTY_NAME") or values.get("ID") or "this distribution"
            problems.append(
                Skipped(
                    relative, f"{name} has no OSV ecosystem in firstpatch yet; its OS packages are not listed"
                )
            )
        return found
    problems.append(
        Skipped("etc/os-release", "missing: the distribution is unknown, so OS packages are not listed")
    )
    return None


def _os_packages(fs: RootFilesystem, distro: Distribution, problems: list[Skipped]) -> list[Parsed]:
    found: list[Parsed] = []
    automatic = auto_installed(fs.read_text("var/lib/apt/extended_states", problems) or "")
    status = fs.read_text("var/lib/dpkg/status", problems)
    if status is not None:
        found.append(dpkg_components(status, "var/lib/dpkg/status", distro, automatic))
    for relative in fs.children("var/lib/dpkg/status.d", "*"):
        if relative.endswith((".md5sums", ".list")):
            continue
        text = fs.read_text(relative, problems)
        if text is not None:
            found.append(dpkg_components(text, relative, distro, automatic))
    installed = fs.read_text("lib/apk/db/installed", problems)
    if installed is not None:
        asked = fs.read_text("etc/apk/world", problems)
        found.append(
            apk_components(installed, "lib/apk/db/installed", distro, world(asked) if asked else None)
        )
    for relative in _RPM_DATABASES:
        database = fs.resolve(relative)
        if database is not None and database.is_file():
            found.append(rpm_components(database, relative, distro))
            break
    else:
        if fs.resolve("var/lib/rpm/Packages") is not None:
            problems.append(
                Skipped(
                    "var/lib/rpm/Packages", "a Berkeley DB rpm database (RHEL 7 and older) is not read yet"
                )
            )
    return found
