"""Installed Python environments, found from the layout on disk without running the interpreter."""

from __future__ import annotations

import sys
from importlib.metadata import version
from pathlib import Path

import pytest

from firstpatch.errors import TargetError
from firstpatch.inventory import environment_components, installed_components
from firstpatch.inventory.installed import site_folders
from firstpatch.model import Skipped


def make_venv(root: Path, *, system: Path | None = None) -> Path:
    site = root / "lib" / "python3.11" / "site-packages"
    flask = site / "Flask-2.2.2.dist-info"
    flask.mkdir(parents=True)
    (flask / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: Flask\nVersion: 2.2.2\nSummary: a framework\n\nLong text.\n"
    )
    (flask / "REQUESTED").write_text("")
    werkzeug = site / "werkzeug-2.2.3.dist-info"
    werkzeug.mkdir()
    (werkzeug / "METADATA").write_text("Metadata-Version: 2.1\nName: Werkzeug\nVersion: 2.2.3\n")
    (site / "legacy.egg-info").write_text("Metadata-Version: 1.0\nName: legacy\nVersion: 0.1\n")
    broken = site / "broken-1.0.dist-info"
    broken.mkdir()
    (broken / "METADATA").write_text("Metadata-Version: 2.1\nSummary: no name here\n")
    (root / "bin").mkdir()
    (root / "bin" / "python").write_text("")  # never run: only its place in the layout matters
    config = (
        f"home = {system / 'bin'}\ninclude-system-site-packages = true\n" if system else "home = /usr/bin\n"
    )
    (root / "pyvenv.cfg").write_text(config + "version_info = 3.11.7.final.0\n")
    return root


def test_virtual_environment_by_interpreter_folder_or_site_packages(tmp_path: Path) -> None:
    venv = make_venv(tmp_path / "venv")
    expected = [
        ("pkg:pypi/flask@2.2.2", True, "lib/python3.11/site-packages/Flask-2.2.2.dist-info/METADATA", 3),
        ("pkg:pypi/legacy@0.1", True, "lib/python3.11/site-packages/legacy.egg-info", 3),
        (
            "pkg:pypi/werkzeug@2.2.3",
            False,
            "lib/python3.11/site-packages/werkzeug-2.2.3.dist-info/METADATA",
            3,
        ),
    ]
    for given in (venv / "bin" / "python", venv, venv / "lib" / "python3.11" / "site-packages"):
        components, problems = environment_components(given, root=venv)
        assert [(c.purl, c.direct, c.locations[0].path, c.locations[0].line) for c in components] == expected
        assert problems == (
            Skipped(
                "lib/python3.11/site-packages/broken-1.0.dist-info/METADATA",
                "metadata without Name and Version",
            ),
        )


def test_system_site_packages_join_when_the_venv_says_so(tmp_path: Path) -> None:
    system = tmp_path / "usr"
    site = system / "lib" / "python3.11" / "site-packages" / "six-1.16.0.dist-info"
    site.mkdir(parents=True)
    (site / "METADATA").write_text("Name: six\nVersion: 1.16.0\n")
    venv = make_venv(tmp_path / "venv", system=system)
    assert [p.relative_to(tmp_path).as_posix() for p in site_folders(venv / "bin" / "python")] == [
        "venv/lib/python3.11/site-packages",
        "usr/lib/python3.11/site-packages",
    ]
    components, _ = environment_components(venv)
    six = next(c for c in components if c.name == "six")
    assert six.locations[0].path == (site / "METADATA").as_posix()  # outside `root`: absolute


def test_this_interpreter_environment_is_read_without_running_it() -> None:
    components, _ = environment_components(sys.executable)
    found = {c.name: c.version for c in components}
    assert found["packaging"] == version("packaging")
    assert found["pytest"] == version("pytest")


def test_symlinked_metadata_is_not_followed(tmp_path: Path) -> None:
    venv = make_venv(tmp_path / "venv")
    secret = tmp_path / "secret"
    secret.write_text("Name: leaked\nVersion: 9.9\n")
    linked = venv / "lib" / "python3.11" / "site-packages" / "evil-1.0.dist-info"
    linked.mkdir()
    (linked / "METADATA").symlink_to(secret)
    components, problems = environment_components(venv, root=venv)
    assert "leaked" not in {c.name for c in components}
    assert (
        Skipped(
            "lib/python3.11/site-packages/evil-1.0.dist-info/METADATA", "metadata is a symlink; not followed"
        )
        in problems
    )


def test_missing_or_empty_environment_is_a_target_error(tmp_path: Path) -> None:
    with pytest.raises(TargetError, match="no such interpreter"):
        environment_components(tmp_path / "nowhere" / "python")
    (tmp_path / "empty").mkdir()
    with pytest.raises(TargetError, match="no site-packages found"):
        installed_components(python=tmp_path / "empty")
