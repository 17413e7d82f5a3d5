"""A target as a folder to scan, and the revision that names what was in it.

An SBOM is staged alone in a temporary folder, under its own name, for the scan to read.

Git targets are cloned shallowly at the requested branch or tag into a temporary folder that is
removed afterwards; git runs with hooks pointed at /dev/null, no submodules, no prompts, and the
`ext::` transport refused, so cloning a hostile repository runs nothing of it. A git target's
revision is its commit; a folder's is a hash of its content, so an unchanged target is not scanned
twice by the same firstpatch with the same advisories.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from firstpatch.errors import TargetError
from firstpatch.fleet.interface import CheckoutError, TransientCheckoutError
from firstpatch.target import SKIPPED_DIRS

_GIT = (
    "git",
    "-c",
    "core.hooksPath=/dev/null",
    "-c",
    "core.fsmonitor=false",
    "-c",
    "protocol.ext.allow=never",
)
# git's exit status says nothing about why; its messages do. A specific complaint about the
# repository wins over the connection-level lines git prints after it.
_PERMANENT = (
    "does not appear to be a git repository",
    "not found",
    "access denied",
    "not exported",
    "authentication failed",
    "permission denied",
    "could not find remote branch",
    "couldn't find remote ref",
)
_TRANSIENT = (
    "could not resolve host",
    "temporary failure in name resolution",
    "connection refused",
    "connection timed out",
    "connection reset",
    "network is unreachable",
    "unable to connect",
    "hung up unexpectedly",
    "early eof",
    "rpc failed",
    "operation timed out",
    # All git says when a server drops the connection without a word.
    "could not read from remote repository",
)
_CHUNK = 1024 * 1024


def remote_commit(url: str, ref: str | None) -> str | None:
    """The commit `ref` (default: the remote's HEAD) points at, asked of the remote without cloning;
    None when the remote has no such branch or tag (the clone then says why)."""
    # ls-remote lists an annotated tag's commit only when asked for the peeled name too.
    patterns = (ref, f"{ref}^{{}}") if ref else ("HEAD",)
    output = _run("ls-remote", "--", url, *patterns)
    refs: dict[str, str] = {}
    for line in output.splitlines():
        commit, _, name = line.partition("\t")
        refs[name] = commit
    if ref is None:
        return refs.get("HEAD")
    # A branch before a tag of the same name, as `git clone --branch` chooses; a tag's peeled
    # commit (`^{}`) rather than the annotated tag object.
    for name in (f"refs/heads/{ref}", f"refs/tags/{ref}^{{}}", f"refs/tags/{ref}"):
        if name in refs:
            return refs[name]
    return None


@contextmanager
def cloned(url: str, ref: str | None, parent: Path) -> Iterator[tuple[Path, str]]:
    """A shallow clone of `url` at `ref` in a new folder under `parent`, and its commit; the folder
    is removed when the block ends, however it ends."""
    parent.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="clone-", dir=parent))
    try:
        checkout = folder / "checkout"
        branch = ("--branch", ref) if ref else ()
        _run("clone", "--quiet", "--depth", "1", "--no-recurse-submodules", *branch, "--", url, str(checkout))
        yield checkout, _run("-C", str(checkout), "rev-parse", "HEAD").strip()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def staged(file: Path, parent: Path) -> Iterator[Path]:
    """A new folder under `parent` holding a copy of `file` under its own name (an SBOM, which a
    scan reads from a folder); removed when the block ends."""
    parent.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="file-", dir=parent))
    try:
        try:
            shutil.copyfile(file, folder / file.name)
        except IsADirectoryError:
            raise TargetError(f"{file}: a folder, not a file") from None
        except OSError as exc:
            raise TargetError(f"{file}: cannot read: {exc.strerror}") from exc
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def folder_revision(root: Path) -> str:
    """A hash of the names, kinds and bytes of everything under `root` that a scan may read
    (the folders a scan skips are skipped here too); symlinks are hashed as links, never followed,
    and special files by name only, since opening a FIFO would block."""
    digest = hashlib.sha256()
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        here = Path(dirpath)
        dirnames[:] = sorted(d for d in dirnames if d not in SKIPPED_DIRS and not d.endswith(".egg-info"))
        # os.walk lists a symlink to a folder among the folders without entering it.
        entries = sorted([*filenames, *(d for d in dirnames if (here / d).is_symlink())])
        for name in entries:
            path = here / name
            relative = path.relative_to(root).as_posix()
            digest.update(f"\0{relative}\0{_entry(path)}".encode("utf-8", "surrogateescape"))
    return f"sha256:{digest.hexdigest()}"


def _entry(path: Path) -> str:
    """What one directory entry holds, as text: a link's target, a file's hash, or its kind."""
    try:
        mode = path.lstat().st_mode
        if stat.S_ISLNK(mode):
            return "link\0" + str(path.readlink())
        if not stat.S_ISREG(mode):
            return "special"
        content = hashlib.sha256()
        with path.open("rb") as handle:
            while chunk := handle.read(_CHUNK):
                content.update(chunk)
        return "file\0" + content.hexdigest()
    except OSError as exc:
        return f"unreadable\0{exc.strerror}"


def _run(*args: str) -> str:
    environment = {
        **os.environ,
        "GIT_TERMINAL_PROMPT": "0",  # a fleet has nobody to type a password
        "GIT_SSH_COMMAND": os.environ.get("GIT_SSH_COMMAND", "ssh -o BatchMode=yes"),
    }
    try:
        done = subprocess.run(
            [*_GIT, *args],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            errors="replace",
            env=environment,
            check=False,
        )
    except FileNotFoundError as exc:
        raise CheckoutError("git is not installed on this node") from exc
    if done.returncode != 0:
        raise _failure(args, done.stderr)
    return done.stdout


def _failure(args: tuple[str, ...], stderr: str) -> CheckoutError:
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    first = next((n for n, line in enumerate(lines) if line.lower().startswith(("fatal:", "error:"))), None)
    if first is None:
        said = lines[0] if lines else "failed"
    else:
        said = lines[first].split(":", 1)[1].strip()
        if said.endswith(":") and first + 1 < len(lines):  # `unable to connect to host:` + why
            said = f"{said} {lines[first + 1]}"
    command = args[0] if args[0] != "-C" else args[2]
    text = stderr.lower()
    if not any(marker in text for marker in _PERMANENT) and any(marker in text for marker in _TRANSIENT):
        return TransientCheckoutError(f"git {command}: {said}")
    return CheckoutError(f"git {command}: {said}")
