"""Git targets cloned shallowly with nothing of theirs run; folders named by their content."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from fleet_helpers import commit_file, free_port, git, git_repo, stalled_server

from firstpatch.errors import TargetError
from firstpatch.fleet import CheckoutError, TransientCheckoutError
from firstpatch.fleet.checkout import cloned, folder_revision, remote_commit, staged


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return git_repo(tmp_path / "origin")


def test_a_clone_is_shallow_at_the_ref_and_removed_afterwards(repo: Path, tmp_path: Path) -> None:
    first = git("rev-parse", "HEAD", cwd=repo)
    git("tag", "--annotate", "-m", "release", "v1", cwd=repo)
    git("checkout", "--quiet", "-b", "next", cwd=repo)
    second = commit_file(repo, "NEXT.txt", "next\n")
    git("checkout", "--quiet", "main", cwd=repo)
    third = commit_file(repo, "MAIN.txt", "main\n")

    clones = tmp_path / "clones"
    with cloned(f"file://{repo}", "next", clones) as (root, commit):
        assert commit == second
        assert (root / "NEXT.txt").is_file()
        assert not (root / "MAIN.txt").exists()
        assert git("rev-list", "--count", "HEAD", cwd=root) == "1"  # one commit: shallow
        folder = root.parent
    assert not folder.exists()
    assert list(clones.iterdir()) == []

    with cloned(f"file://{repo}", "v1", clones) as (root, commit):
        assert commit == first
    with cloned(f"file://{repo}", None, clones) as (root, commit):
        assert commit == third


def test_the_clone_folder_is_removed_when_the_scan_fails(repo: Path, tmp_path: Path) -> None:
    clones = tmp_path / "clones"
    with pytest.raises(RuntimeError), cloned(f"file://{repo}", None, clones):
        raise RuntimeError("the scan failed")
    assert list(clones.iterdir()) == []


def test_the_remote_commit_is_read_without_cloning(repo: Path) -> None:
    head = git("rev-parse", "HEAD", cwd=repo)
    git("tag", "--annotate", "-m", "release", "v1", cwd=repo)
    git("tag", "light", cwd=repo)
    assert remote_commit(f"file://{repo}", None) == head
    assert remote_commit(f"file://{repo}", "main") == head
    assert remote_commit(f"file://{repo}", "v1") == head  # the tag's commit, not the tag object
    assert remote_commit(f"file://{repo}", "light") == head
    assert remote_commit(f"file://{repo}", "no-such-branch") is None


def test_hooks_configured_for_the_user_do_not_run_on_a_clone(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    hooks = tmp_path / "hooks"
    hooks.mkdir()
    marker = tmp_path / "hook-ran"
    hook = hooks / "post-checkout"
    hook.write_text(f"#!/bin/sh\ntouch {marker}\n")
    hook.chmod(0o755)
    config = tmp_path / "gitconfig"
    config.write_text(f"[core]\n\thooksPath = {hooks}\n")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(config))

    # The hook is real: a plain clone runs it.
    subprocess.run(["git", "clone", "--quiet", f"file://{repo}", str(tmp_path / "plain")], check=True)
    assert marker.exists()
    marker.unlink()

    with cloned(f"file://{repo}", None, tmp_path / "clones") as (root, _):
        assert (root / "app.py").is_file()
    assert not marker.exists()


def test_submodules_are_not_cloned(repo: Path, tmp_path: Path) -> None:
    library = git_repo(tmp_path / "library")
    git(
        "-c",
        "protocol.file.allow=always",
        "submodule",
        "--quiet",
        "add",
        f"file://{library}",
        "vendor/lib",
        cwd=repo,
    )
    git("commit", "--quiet", "-m", "vendor a library", cwd=repo)
    with cloned(f"file://{repo}", None, tmp_path / "clones") as (root, _):
        assert (root / ".gitmodules").is_file()
        assert list((root / "vendor" / "lib").iterdir()) == []


def test_a_folder_that_is_no_repository_is_a_lasting_failure(tmp_path: Path) -> None:
    (tmp_path / "plain").mkdir()
    with pytest.raises(CheckoutError, match="does not appear to be a git repository") as caught:
        remote_commit(f"file://{tmp_path}/plain", None)
    assert not isinstance(caught.value, TransientCheckoutError)
    with (
        pytest.raises(CheckoutError) as caught,
        cloned(f"file://{tmp_path}/plain", None, tmp_path / "clones"),
    ):
        pass
    assert not isinstance(caught.value, TransientCheckoutError)
    assert list((tmp_path / "clones").iterdir()) == []


def test_a_missing_branch_is_a_lasting_failure(repo: Path, tmp_path: Path) -> None:
    with (
        pytest.raises(CheckoutError, match="Remote branch nowhere not found") as caught,
        cloned(f"file://{repo}", "nowhere", tmp_path / "clones"),
    ):
        pass
    assert not isinstance(caught.value, TransientCheckoutError)


def test_a_server_that_refuses_or_drops_the_connection_is_worth_retrying() -> None:
    with pytest.raises(
        TransientCheckoutError, match=r"git ls-remote: unable to connect .*Connection refused"
    ):
        remote_commit(f"git://127.0.0.1:{free_port()}/app.git", None)


def test_the_folder_revision_follows_content_only(tmp_path: Path) -> None:
    root = tmp_path / "project"
    (root / "pkg").mkdir(parents=True)
    (root / "pkg" / "app.py").write_text("print('hello')\n")
    (root / "requirements.txt").write_text("flask==0.12\n")
    first = folder_revision(root)
    assert first.startswith("sha256:")

    # Tool folders and caches are not the project.
    (root / ".venv" / "lib").mkdir(parents=True)
    (root / ".venv" / "lib" / "site.py").write_text("x = 1\n")
    (root / "pkg" / "__pycache__").mkdir()
    (root / "pkg" / "__pycache__" / "app.cpython-311.pyc").write_bytes(b"\0")
    assert folder_revision(root) == first

    (root / "pkg" / "app.py").write_text("print('hello!')\n")
    second = folder_revision(root)
    assert second != first
    (root / "pkg" / "app.py").rename(root / "pkg" / "main.py")
    assert folder_revision(root) not in (first, second)


def test_the_folder_revision_neither_follows_links_nor_opens_fifos(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("one\n")
    root = tmp_path / "project"
    root.mkdir()
    (root / "app.py").write_text("x = 1\n")
    (root / "linked").symlink_to(outside)
    os.mkfifo(root / "requirements.txt")  # opening it for reading would wait for a writer forever
    before = folder_revision(root)
    (outside / "secret.txt").write_text("two\n")
    assert folder_revision(root) == before
    (root / "linked").unlink()
    (root / "linked").symlink_to(tmp_path)
    assert folder_revision(root) != before


def test_a_stalled_server_is_left_to_the_deadline(tmp_path: Path) -> None:
    # git has no time limit of its own for the git protocol: without the task's deadline, this
    # would wait forever. Here a timeout stands in for the deadline.
    with stalled_server() as port, pytest.raises(subprocess.TimeoutExpired):
        subprocess.run(
            ["git", "ls-remote", f"git://127.0.0.1:{port}/app.git"],
            capture_output=True,
            timeout=1,
            check=False,
        )


def test_an_sbom_is_staged_alone_under_its_name_and_removed(tmp_path: Path) -> None:
    sbom = tmp_path / "app.cdx.json"
    sbom.write_text('{"bomFormat": "CycloneDX"}\n')
    (tmp_path / "neighbour.txt").write_text("not staged\n")
    with staged(sbom, tmp_path / "work") as folder:
        assert sorted(path.name for path in folder.iterdir()) == ["app.cdx.json"]
        assert (folder / "app.cdx.json").read_text() == '{"bomFormat": "CycloneDX"}\n'
    assert list((tmp_path / "work").iterdir()) == []
    with pytest.raises(TargetError, match=r"work: a folder, not a file"), staged(tmp_path / "work", tmp_path):
        pass
