"""Writing patches into the user's tree, onto a git branch, or into `.patch` files.

Nothing is ever left half-written: `apply_changes` checks that every file still holds the text
the patch was made from before writing any, writes each through a temporary file renamed over
it, and puts back what it had written if a later file fails. Commits go onto a new branch in a
temporary git worktree, so the user's checkout and index are not touched.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from firstpatch.errors import ExitCode
from firstpatch.model import Finding, Patch
from firstpatch.patch.interface import FileChange, PatchError
from firstpatch.patch.tree import inside


class TreeStateError(PatchError):
    """The user's tree or repository is not in a state to take the patches (uncommitted
    changes, a file changed since the scan, a branch that exists): exit 2, like bad input."""

    exit_code = ExitCode.USAGE


@dataclass(frozen=True, slots=True)
class CodeFix:
    """A finding, the file changes of its patch, and how the patch was checked."""

    finding: Finding
    changes: tuple[FileChange, ...]
    patch: Patch

    @property
    def title(self) -> str:
        where = f"{self.finding.location.path}:{self.finding.location.line}"
        cwe = f"CWE-{self.finding.cwe}" if self.finding.cwe else "no CWE"
        return f"{cwe} {self.finding.rule_id} at {where}"

    def commit_message(self) -> str:
        """Subject naming the CWE and the finding; body with the fix and how it was verified."""
        checks = "\n".join(
            f"- {check.name}: {'passed' if check.passed else 'FAILED'}: {check.detail}"
            for check in self.patch.checks
        )
        return (
            f"Fix {self.title}\n\n{self.patch.description}.\n\n"
            f"Finding {self.finding.fingerprint}: {self.finding.title}.\n"
            f"Patch {self.patch.status.value} by firstpatch:\n{checks}\n"
        )


# -- the user's working tree ------------------------------------------------------------------


def uncommitted(root: Path) -> list[str] | None:
    """Paths with uncommitted changes in the git work tree holding `root`; None when `root`
    is not in a git work tree (then there is nothing to compare against)."""
    result = _git(root, "status", "--porcelain", "--untracked-files=no", "--", ".", check=False)
    if result.returncode != 0:
        return None
    return [line[3:] for line in result.stdout.splitlines() if line.strip()]


def apply_changes(root: Path, changes: Sequence[FileChange]) -> None:
    """Write `changes` into `root`, all of them or none: PatchError names the file that stopped it."""
    base = root.resolve()
    targets: list[tuple[Path, FileChange]] = []
    for change in changes:
        path = inside(base, change.path)
        if path is None or path.is_symlink() or not path.is_file():
            raise PatchError(f"{change.path}: not a file inside {root}")
        try:
            current = path.read_bytes().decode("utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise PatchError(f"{change.path}: cannot read: {exc}") from exc
        if current != change.before:
            raise TreeStateError(f"{change.path}: changed since the patch was made; nothing was written")
        targets.append((path, change))
    written: list[tuple[Path, FileChange]] = []
    try:
        for path, change in targets:
            _replace(path, change.after)
            written.append((path, change))
    except OSError as exc:
        for path, change in reversed(written):
            with contextlib.suppress(OSError):
                _replace(path, change.before)
        raise PatchError(
            f"{path}: cannot write ({exc.strerror}); the files written before it were restored"
        ) from exc


def _replace(path: Path, text: str) -> None:
    mode = path.stat().st_mode & 0o7777
    with tempfile.NamedTemporaryFile("wb", dir=path.parent, prefix=f".{path.name}.", delete=False) as handle:
        handle.write(text.encode("utf-8"))
    temporary = Path(handle.name)
    try:
        temporary.chmod(mode)
        temporary.replace(path)
    except OSError:
        temporary.unlink(missing_ok=True)
        raise


# -- a branch with one commit per finding -----------------------------------------------------


def commit_on_branch(
    root: Path,
    branch: str,
    fixes: Sequence[CodeFix],
    changes_in: Callable[[Path, CodeFix], Sequence[FileChange]],
) -> list[str]:
    """Create `branch` from HEAD with one commit per fix, in a temporary worktree; the ids of
    the commits. `changes_in(tree, fix)` gives a fix's changes as they apply to the worktree's
    project folder after the commits before it. The user's checkout, index and working files
    stay as they were."""
    top = _git(root, "rev-parse", "--show-toplevel", check=False)
    if top.returncode != 0:
        raise TreeStateError(f"{root}: not in a git repository, so there is no branch to make")
    repository = Path(top.stdout.strip())
    prefix = root.resolve().relative_to(repository.resolve())
    if (
        _git(repository, "rev-parse", "--verify", "--quiet", f"refs/heads/{branch}", check=False).returncode
        == 0
    ):
        raise TreeStateError(f"branch {branch!r} already exists")
    commits: list[str] = []
    with tempfile.TemporaryDirectory(prefix="firstpatch-branch-") as scratch:
        worktree = Path(scratch) / "worktree"
        _git(repository, "worktree", "add", "--quiet", "-b", branch, str(worktree), "HEAD")
        try:
            for fix in fixes:
                changes = changes_in(worktree / prefix, fix)
                apply_changes(worktree / prefix, changes)
                paths = [str(prefix / change.path) for change in changes]
                _git(worktree, "add", "--", *paths)
                _git(worktree, "commit", "--quiet", "--no-verify", "-m", fix.commit_message(), "--", *paths)
                commits.append(_git(worktree, "rev-parse", "HEAD").stdout.strip())
        except PatchError:
            _git(repository, "worktree", "remove", "--force", str(worktree), check=False)
            _git(repository, "branch", "-D", branch, check=False)
            raise
        _git(repository, "worktree", "remove", "--force", str(worktree))
    return commits


def _git(cwd: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0"}
    env.setdefault("GIT_AUTHOR_NAME", "firstpatch")
    env.setdefault("GIT_AUTHOR_EMAIL", "firstpatch@localhost")
    env.setdefault("GIT_COMMITTER_NAME", env["GIT_AUTHOR_NAME"])
    env.setdefault("GIT_COMMITTER_EMAIL", env["GIT_AUTHOR_EMAIL"])
    try:
        result = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, env=env, check=False)
    except OSError as exc:
        raise PatchError(f"cannot run git: {exc}") from exc
    if check and result.returncode != 0:
        raise PatchError(f"git {args[0]} failed: {result.stderr.strip() or result.stdout.strip()}")
    return result


# -- .patch files -------------------------------------------------------------------------------


# The mbox separator `git format-patch` writes (its date is git's fixed placeholder).
_MBOX_FROM = "From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001"


def write_patch_files(folder: Path, fixes: Sequence[CodeFix]) -> list[Path]:
    """One `git am`-able file per fix in `folder` (created if missing), each written atomically."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for number, fix in enumerate(fixes, start=1):
        name = f"{number:04d}-cwe{fix.finding.cwe or 0}-{fix.finding.fingerprint[:12]}.patch"
        subject, _, body = fix.commit_message().partition("\n\n")
        header = f"{_MBOX_FROM}\nFrom: firstpatch <firstpatch@localhost>\nSubject: [PATCH] {subject}\n\n"
        text = f"{header}{body}---\n{fix.patch.diff}"
        path = folder / name
        with tempfile.NamedTemporaryFile(
            "w", encoding="utf-8", dir=folder, delete=False, suffix=".tmp"
        ) as handle:
            handle.write(text)
        Path(handle.name).replace(path)
        written.append(path)
    return written
