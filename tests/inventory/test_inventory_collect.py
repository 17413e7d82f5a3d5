"""collect() over a real tree: every manifest found, duplicates merged, problems kept."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import firstpatch.inventory
from firstpatch.inventory import collect, merge
from firstpatch.model import Component, Ecosystem, Location, Skipped
from firstpatch.target import Target

DATA = Path(__file__).parent / "data" / "project"

# Kept out of the fixture tree: ruff (and other tools) refuse a repository holding a broken pyproject.toml.
BROKEN_PYPROJECT = (
    '[project]\nname = "legacy"\ndependencies = [\n    "flask==0.12.2"\n    "jinja2==2.10",\n]\n'
)


def test_public_api() -> None:
    assert sorted(firstpatch.inventory.__all__) == [
        "InventoryError",
        "ManifestParser",
        "PARSERS",
        "Parsed",
        "PyprojectParser",
        "Reader",
        "RequirementsParser",
        "collect",
        "environment_components",
        "installed_components",
        "merge",
        "osv_ecosystem",
        "osv_package",
        "rootfs_components",
    ]
    assert [parser.name for parser in firstpatch.inventory.PARSERS] == [
        "requirements",
        "pyproject",
        "poetry.lock",
        "Pipfile.lock",
        "uv.lock",
        "pdm.lock",
        "pylock.toml",
        "package-lock.json",
        "yarn.lock",
        "pnpm-lock.yaml",
        "go.mod",
        "Cargo.lock",
        "Gemfile.lock",
        "composer.lock",
        "pom.xml",
        "packages.lock.json",
        "cyclonedx",
        "spdx",
    ]


def test_collect_fixture_tree(tmp_path: Path) -> None:
    shutil.copytree(DATA, tmp_path / "project")
    (tmp_path / "project" / "legacy").mkdir()
    (tmp_path / "project" / "legacy" / "pyproject.toml").write_text(BROKEN_PYPROJECT)

    components, problems = collect(Target.open(tmp_path / "project"))

    summary = [(c.purl, c.direct, c.dev, [(loc.path, loc.line) for loc in c.locations]) for c in components]
    assert summary == [
        ("pkg:pypi/black", True, True, [("requirements-dev.txt", 3)]),  # name @ url: no version
        ("pkg:pypi/boto3@1.26.0", True, False, [("pyproject.toml", 18)]),
        ("pkg:pypi/celery@5.2.1", True, False, [("services/api/pyproject.toml", 16)]),
        ("pkg:pypi/certifi@2022.12.7", True, False, [("requirements.txt", 17)]),
        ("pkg:pypi/coverage", True, True, [("pyproject.toml", 16)]),
        ("pkg:pypi/cryptography", True, False, [("pyproject.toml", 10)]),
        ("pkg:pypi/fastapi@0.65.1", True, False, [("services/api/pyproject.toml", 7)]),
        ("pkg:pypi/flask@2.2.2", True, False, [("requirements.txt", 6)]),
        ("pkg:pypi/httpx", True, False, [("services/api/pyproject.toml", 10)]),
        ("pkg:pypi/idna@2.8", False, False, [("constraints.txt", 2)]),
        ("pkg:pypi/itsdangerous", True, False, [("requirements.txt", 13)]),
        ("pkg:pypi/jinja2", True, False, [("requirements.txt", 11)]),
        ("pkg:pypi/markupsafe@2.1.1", True, False, [("requirements/base.txt", 1)]),
        ("pkg:pypi/pillow@9.0.0", True, False, [("services/api/pyproject.toml", 9)]),
        ("pkg:pypi/pyjwt@2.4.0", True, False, [("pyproject.toml", 11)]),
        # declared by a dev extra and by requirements-dev.txt: one component, both places
        ("pkg:pypi/pytest@7.0.0", True, True, [("pyproject.toml", 16), ("requirements-dev.txt", 2)]),
        ("pkg:pypi/pyyaml", True, False, [("requirements.txt", 12)]),
        ("pkg:pypi/requests@2.19.1", True, False, [("pyproject.toml", 9), ("requirements.txt", 7)]),
        ("pkg:pypi/ruff@0.0.290", True, True, [("services/api/pyproject.toml", 13)]),
        ("pkg:pypi/sphinx@5.0.0", True, True, [("pyproject.toml", 17), ("docs/requirements.txt", 1)]),
        ("pkg:pypi/starlette", True, False, [("services/api/pyproject.toml", 8)]),
        ("pkg:pypi/urllib3@1.26.4", True, False, [("requirements.txt", 10), ("constraints.txt", 1)]),
        ("pkg:pypi/werkzeug", True, False, [("requirements.txt", 14)]),
    ]
    cycle = "include cycle requirements.txt -> requirements/base.txt -> requirements.txt; not followed again"
    assert set(problems) == {
        Skipped("requirements/base.txt", cycle, 2),
        Skipped("requirements.txt", cycle, 2),
        Skipped(
            "requirements.txt",
            "invalid requirement 'django>=': "
            "Expected semicolon (after name with no version specifier) or end",
            16,
        ),
        Skipped("requirements.txt", "malformed --hash value 'md5' (expected <algorithm>:<hex digest>)", 17),
        Skipped(
            "requirements-dev.txt",
            "requirements file 'missing.txt' (missing.txt) is not a readable file of the target",
            4,
        ),
        Skipped(
            "requirements-dev.txt",
            "requirements file '../../outside.txt' is outside the target; not followed",
            5,
        ),
        Skipped("requirements-dev.txt", "unknown option '--frobnicate'", 6),
        Skipped("legacy/pyproject.toml", "invalid TOML: Unclosed array (at line 5, column 5)", 5),
    }
    assert len(problems) == len(set(problems)), "a problem met through two includes is reported once"


def test_includes_reach_only_files_the_target_admits(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("leaked==1.0\n")
    root = tmp_path / "repo"
    root.mkdir()
    (root / "linked.txt").symlink_to(outside / "secret.txt")
    (root / ".venv").mkdir()
    (root / ".venv" / "pins.txt").write_text("hidden==1.0\n")
    (root / "requirements.txt").write_text("-r linked.txt\n-r .venv/pins.txt\nsix==1.16.0\n")
    target = Target.open(root)

    components, problems = collect(target)

    assert [c.purl for c in components] == ["pkg:pypi/six@1.16.0"]
    assert [(p.path, p.line, p.reason) for p in problems] == [
        (
            "requirements.txt",
            1,
            "requirements file 'linked.txt' (linked.txt) is not a readable file of the target",
        ),
        (
            "requirements.txt",
            2,
            "requirements file '.venv/pins.txt' (.venv/pins.txt) is not a readable file of the target",
        ),
    ]
    assert target.skipped == [Skipped("linked.txt", "symlink leads outside the target")]


def test_undecodable_manifest_is_left_to_the_target(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_bytes(b"six==1.0\n\xff\xfe\n")
    shutil.copy(DATA / "docs" / "requirements.txt", tmp_path / "requirements-docs.txt")
    target = Target.open(tmp_path)

    components, problems = collect(target)

    assert [(c.purl, c.dev) for c in components] == [("pkg:pypi/sphinx@5.0.0", True)]
    assert problems == ()
    assert [s.path for s in target.skipped] == ["requirements.txt"]


def _component(purl: str, path: str, line: int, *, direct: bool = True, dev: bool = False) -> Component:
    name, _, version = purl.removeprefix("pkg:pypi/").partition("@")
    return Component(purl, name, version or None, Ecosystem.PYPI, (Location(path, line),), direct, dev)


@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        ([(True, False), (False, False)], (True, False)),
        ([(False, True), (False, True)], (False, True)),
        ([(True, True), (False, False)], (True, False)),
    ],
)
def test_merge_flags(flags: list[tuple[bool, bool]], expected: tuple[bool, bool]) -> None:
    parts = [
        _component("pkg:pypi/six@1.0", f"f{i}.txt", i, direct=d, dev=v) for i, (d, v) in enumerate(flags)
    ]
    (merged,) = merge(parts)
    assert (merged.direct, merged.dev) == expected
    assert [loc.path for loc in merged.locations] == ["f0.txt", "f1.txt"]


def test_merge_keeps_versions_apart_and_sorts_by_name() -> None:
    merged = merge(
        [
            _component("pkg:pypi/six@1.0", "a.txt", 1),
            _component("pkg:pypi/flask@2.0", "a.txt", 2),
            _component("pkg:pypi/six@1.1", "b.txt", 1),
            _component("pkg:pypi/six@1.0", "a.txt", 1),
        ]
    )
    assert [(c.purl, len(c.locations)) for c in merged] == [
        ("pkg:pypi/flask@2.0", 1),
        ("pkg:pypi/six@1.0", 1),
        ("pkg:pypi/six@1.1", 1),
    ]
