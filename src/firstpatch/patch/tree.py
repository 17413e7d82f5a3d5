"""The target's files as the patch stage touches them: read as text without leaving the
root, copied to a temporary folder, and changed only in that copy."""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Sequence
from pathlib import Path, PurePosixPath

from firstpatch.patch.interface import FileChange, PatchError, Reader
from firstpatch.target import MAX_FILE_BYTES

# Tool folders a copy does not need; the project's own folders are all copied.
_NOT_COPIED = shutil.ignore_patterns(
    ".git", ".hg", ".svn", ".tox", ".nox", ".venv", "venv", "__pycache__", ".mypy_cache",
    ".pytest_cache", ".ruff_cache", "node_modules",
)  # fmt: skip


def inside(root: Path, relative: str) -> Path | None:
    """`root / relative` when it names a place inside `root` (no `..`, no absolute path, no
    symlink leading out); None otherwise. `root` must be resolved."""
    if not relative or "\\" in relative:
        return None
    parts = PurePosixPath(relative).parts
    if PurePosixPath(relative).is_absolute() or ".." in parts:
        return None
    path = root.joinpath(*parts)
    return path if path.resolve().is_relative_to(root) else None


def reader(root: Path) -> Reader:
    """Reads files of the target as UTF-8 text (None for anything unreadable, oversized or
    outside the root), each file once."""
    base = root.resolve()
    cache: dict[str, str | None] = {}

    def read(relative: str) -> str | None:
        if relative not in cache:
            cache[relative] = _read(base, relative)
        return cache[relative]

    return read


def _read(base: Path, relative: str) -> str | None:
    path = inside(base, relative)
    try:
        if path is None or not path.is_file() or path.stat().st_size > MAX_FILE_BYTES:
            return None
        # Bytes, not read_text: universal newlines would turn "\r\n" files into "\n" ones.
        return path.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def tree_state(root: Path) -> str:
    """A digest of every file's path, size and modification time under `root` (tool folders
    left out, as copies leave them out): equal digests mean the same tree, for caching."""
    digest = hashlib.sha256()
    for directory, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if not _NOT_COPIED(directory, [d]))
        for name in sorted(filenames):
            path = Path(directory, name)
            try:
                stat = path.lstat()
            except OSError:
                continue
            digest.update(f"{path.relative_to(root)}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def copy_tree(root: Path, destination: Path) -> Path:
    """A copy of the target; symlinks are copied as links, never followed."""
    shutil.copytree(root, destination, symlinks=True, ignore=_NOT_COPIED)
    return destination


def write_changes(tree: Path, changes: Sequence[FileChange]) -> None:
    """Write each change into the copy at `tree`, after checking the copy still holds the
    text the change was made from."""
    base = tree.resolve()
    for change in changes:
        path = inside(base, change.path)
        if path is None or path.is_symlink():
            raise PatchError(f"{change.path}: not a file inside the target")
        if _read(base, change.path) != change.before:
            raise PatchError(f"{change.path}: changed since the fix was proposed")
        path.write_bytes(change.after.encode("utf-8"))
