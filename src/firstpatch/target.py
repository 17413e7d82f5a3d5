"""The scan target as files to read: never imported, never followed out of its root.

Static stages get their files from here so that the trust rules live in one place: symlinks
that leave the root are not followed, tool and vendored folders are skipped, and oversized
files are skipped with a reason instead of being read.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from firstpatch.errors import TargetError
from firstpatch.model import Skipped

MAX_FILE_BYTES = 2 * 1024 * 1024  # a Python source file larger than this is generated, not written
MAX_MANIFEST_BYTES = 64 * 1024 * 1024  # lockfiles of large monorepos reach tens of MiB

# Folders that hold tools, caches or third-party copies rather than the project's own code.
SKIPPED_DIRS = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        ".tox",
        ".nox",
        ".venv",
        "venv",
        "env",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
        "__pycache__",
        "node_modules",
        "site-packages",
        "build",
        "dist",
        ".eggs",
    }
)


@dataclass
class Target:
    root: Path
    skipped: list[Skipped] = field(default_factory=list)

    @classmethod
    def open(cls, path: str | os.PathLike[str]) -> Target:
        root = Path(path)
        if not root.exists():
            raise TargetError(f"{root}: no such file or directory")
        if not root.is_dir():
            raise TargetError(f"{root}: not a directory")
        if not os.access(root, os.R_OK | os.X_OK):
            raise TargetError(f"{root}: permission denied")
        return cls(root.resolve())

    def relative(self, path: Path) -> str:
        return path.relative_to(self.root).as_posix()

    def files(
        self, suffixes: tuple[str, ...] = (), names: tuple[str, ...] = (), max_bytes: int = MAX_FILE_BYTES
    ) -> Iterator[Path]:
        """Files under the root whose name ends in one of `suffixes` or equals one of `names`,
        up to `max_bytes` each (source files are capped tighter than lockfiles)."""
        for dirpath, dirnames, filenames in os.walk(self.root, followlinks=False):
            here = Path(dirpath)
            dirnames[:] = sorted(d for d in dirnames if d not in SKIPPED_DIRS and not d.endswith(".egg-info"))
            for name in sorted(filenames):
                if not (name in names or (suffixes and name.endswith(suffixes))):
                    continue
                path = here / name
                if self._admit(path, max_bytes):
                    yield path

    def _admit(self, path: Path, max_bytes: int) -> bool:
        rel = self.relative(path)
        if path.is_symlink():
            resolved = path.resolve()
            if not resolved.is_relative_to(self.root):
                self.skipped.append(Skipped(rel, "symlink leads outside the target"))
                return False
        try:
            status = path.stat()
        except OSError as exc:
            self.skipped.append(Skipped(rel, f"cannot stat: {exc.strerror}"))
            return False
        if not stat.S_ISREG(status.st_mode):  # a FIFO or device named like a manifest would block a read
            self.skipped.append(Skipped(rel, "not a regular file"))
            return False
        size = status.st_size
        if size > max_bytes:
            self.skipped.append(Skipped(rel, f"larger than {max_bytes // 1024} KiB"))
            return False
        return True

    def read_text(self, path: Path) -> str | None:
        """The file's text, or None after recording why it could not be read."""
        try:
            return path.read_bytes().decode("utf-8")
        except UnicodeDecodeError as exc:
            self.skipped.append(Skipped(self.relative(path), f"not UTF-8 text: {exc.reason}"))
        except OSError as exc:
            self.skipped.append(Skipped(self.relative(path), f"cannot read: {exc.strerror}"))
        return None
