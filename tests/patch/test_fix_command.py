"""`firstpatch fix PATH` for code, end to end on a small git project with two findings in one
file: scanned and stored once (module-scoped), then shown, saved as .patch files, committed on
a branch, chosen interactively and applied — the working tree never left half-written."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from firstpatch.cli import app
from firstpatch.patch.apply import TreeStateError

PROJECT = Path(__file__).resolve().parents[1] / "fixtures" / "patch" / "projects" / "notes"
pytestmark = pytest.mark.slow


def git(root: Path, *args: str) -> str:
    result = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=True)
    return result.stdout


@pytest.fixture(scope="module")
def stored(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A git copy of the project, scanned (proved, patched, verified) into a fresh store."""
    base = tmp_path_factory.mktemp("fix")
    root = shutil.copytree(PROJECT, base / "notes")
    git(root, "init", "-q", "-b", "main")
    git(root, "-c", "user.name=t", "-c", "user.email=t@t", "add", ".")
    git(root, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "start")
    db = f"sqlite:///{base / 'runs.db'}"
    result = CliRunner().invoke(app, ["scan", str(root), "--db", db, "--fail-on", "never"])
    assert result.exit_code == 0, result.output
    return root, db


def fix(root: Path, db: str, *args: str, stdin: str | None = None) -> str:
    result = CliRunner().invoke(app, ["fix", str(root), "--stored", "--db", db, *args], input=stdin)
    assert result.exit_code == 0, (result.output, result.exception)
    return result.output


def test_shows_each_patch_under_its_finding_and_writes_nothing(stored: tuple[Path, str]) -> None:
    root, db = stored
    output = fix(root, db)
    assert "CWE-89 py/sql-injection at app.py:18" in output
    assert "CWE-79 py/reflected-xss at app.py:25" in output
    assert output.count("patch verified") == 2
    assert (
        '+    rows = connect().execute("SELECT body FROM notes WHERE author = ?", (author,)).fetchall()'
        in output
    )
    assert "(nothing written: --apply writes the verified patches" in output
    assert git(root, "status", "--porcelain") == ""


def test_patch_files_and_a_branch_with_one_commit_per_finding(
    stored: tuple[Path, str], tmp_path: Path
) -> None:
    root, db = stored
    fix(root, db, "--output", str(tmp_path / "patches"), "--branch", "firstpatch-fixes")
    files = sorted((tmp_path / "patches").iterdir())
    assert [f.name.split("-")[1] for f in files] == ["cwe89", "cwe79"]
    for file in files:  # each applies on its own to the unpatched tree
        git(root, "apply", "--check", str(file))
    log = git(root, "log", "--format=%s", "main..firstpatch-fixes").splitlines()
    assert log == ["Fix CWE-79 py/reflected-xss at app.py:25", "Fix CWE-89 py/sql-injection at app.py:18"]
    body = git(root, "log", "-1", "--format=%b", "firstpatch-fixes")
    assert "Patch verified by firstpatch:" in body
    assert "- reproducer: passed: no longer confirmed" in body
    assert "- tests: passed:" in body
    assert git(root, "branch", "--show-current").strip() == "main"  # the checkout stayed where it was
    assert git(root, "status", "--porcelain") == ""
    shown = git(root, "show", "firstpatch-fixes:app.py")
    assert "escape(name)" in shown
    assert 'WHERE author = ?", (author,)' in shown


def test_apply_refuses_a_dirty_tree_then_writes_what_was_chosen(stored: tuple[Path, str]) -> None:
    root, db = stored
    before = (root / "app.py").read_text()
    (root / "tests" / "test_app.py").write_text((root / "tests" / "test_app.py").read_text() + "\n")
    result = CliRunner().invoke(app, ["fix", str(root), "--stored", "--db", db, "--apply"])
    assert isinstance(result.exception, TreeStateError)  # main() prints it on one line, exit 2
    assert result.exception.exit_code == 2
    assert str(result.exception).endswith(
        "uncommitted changes (tests/test_app.py); nothing was written (--force writes anyway)"
    )
    assert (root / "app.py").read_text() == before
    git(root, "checkout", "--", "tests/test_app.py")

    output = fix(root, db, "--apply", "--interactive", stdin="n\ny\n")
    assert "Take the patch for CWE-89 py/sql-injection at app.py:18? [y/N]" in output
    assert "1 chosen" in output
    after = (root / "app.py").read_text()
    assert "escape(name)" in after  # the second one, taken
    assert "WHERE author = '\" + author" in after  # the first one, declined
