"""Python lockfiles: poetry.lock, Pipfile.lock, uv.lock, pdm.lock and pylock.toml, each read from a
real file beside the manifest that says which packages the project asked for."""

from __future__ import annotations

from pathlib import Path

import pytest

from firstpatch.inventory import PARSERS, collect
from firstpatch.inventory.interface import ManifestParser
from firstpatch.model import Component
from firstpatch.target import Target

DATA = Path(__file__).parent / "data" / "python-locks"

Row = tuple[str, bool, bool, list[tuple[str, int]]]


def rows(components: tuple[Component, ...]) -> list[Row]:
    return [(c.purl, c.direct, c.dev, [(loc.path, loc.line) for loc in c.locations]) for c in components]


def scan(folder: str) -> tuple[list[Row], list[tuple[str, int, str]]]:
    components, problems = collect(Target.open(DATA / folder))
    return rows(components), [(p.path, p.line, p.reason) for p in problems]


def parser(name: str) -> ManifestParser:
    return next(p for p in PARSERS if p.name == name)


def test_poetry_lock_categories_git_source_and_manifest_ranges() -> None:
    found, problems = scan("poetry")
    assert found == [
        ("pkg:pypi/click@8.1.3", False, False, [("poetry.lock", 4)]),
        # `flask = "^2.2"` in pyproject.toml is the dependency the lock pins: one component, both places
        ("pkg:pypi/flask@2.2.2", True, False, [("poetry.lock", 12), ("pyproject.toml", 9)]),
        ("pkg:pypi/iniconfig@2.0.0", False, True, [("poetry.lock", 28)]),  # category = "dev"
        ("pkg:pypi/itsdangerous@2.1.2", False, False, [("poetry.lock", 36)]),
        ("pkg:pypi/mylib", True, False, [("poetry.lock", 44), ("pyproject.toml", 10)]),  # git: no version
        ("pkg:pypi/pytest@7.2.0", True, True, [("poetry.lock", 59), ("pyproject.toml", 13)]),
        ("pkg:pypi/werkzeug@2.2.2", False, False, [("poetry.lock", 70)]),
    ]
    assert problems == []


def test_poetry_lock_without_manifest_takes_unrequired_packages_as_direct() -> None:
    text = (DATA / "poetry" / "poetry.lock").read_text()
    parsed = parser("poetry.lock").parse(text, "poetry.lock")
    direct = {c.name for c in parsed.components if c.direct}
    assert direct == {"flask", "mylib", "pytest"}


def test_poetry2_groups() -> None:
    text = (
        '[[package]]\nname = "ruff"\nversion = "0.5.0"\ngroups = ["lint"]\n\n'
        '[[package]]\nname = "six"\nversion = "1.16.0"\ngroups = ["main", "lint"]\n'
    )
    parsed = parser("poetry.lock").parse(text, "poetry.lock")
    assert [(c.purl, c.dev, c.locations[0].line) for c in parsed.components] == [
        ("pkg:pypi/ruff@0.5.0", True, 2),
        ("pkg:pypi/six@1.16.0", False, 7),
    ]


def test_pipfile_lock_sections_git_and_local_path() -> None:
    found, problems = scan("pipenv")
    assert found == [
        ("pkg:pypi/certifi@2022.9.24", False, False, [("Pipfile.lock", 19)]),  # not in the Pipfile
        ("pkg:pypi/mylib", True, False, [("Pipfile.lock", 26)]),  # git: no version
        ("pkg:pypi/pytest@7.2.0", True, True, [("Pipfile.lock", 43)]),  # develop section
        ("pkg:pypi/requests@2.28.1", True, False, [("Pipfile.lock", 30)]),
    ]  # `shop` is `path = "."`: the project itself
    assert problems == []


def test_uv_lock_workspace_members_are_roots_not_components() -> None:
    found, problems = scan("uv")
    assert found == [
        ("pkg:pypi/click@8.1.7", False, False, [("uv.lock", 26)]),
        ("pkg:pypi/flask@2.2.5", True, False, [("uv.lock", 32), ("pyproject.toml", 4)]),
        ("pkg:pypi/lib", True, False, [("pyproject.toml", 4)]),  # named in pyproject.toml only
        ("pkg:pypi/mylib", True, False, [("pyproject.toml", 4), ("uv.lock", 49)]),  # git
        ("pkg:pypi/pytest@7.4.0", True, True, [("uv.lock", 54), ("pyproject.toml", 7)]),
        # required by the workspace member `lib`: direct for the workspace
        ("pkg:pypi/pyyaml@5.3.1", True, False, [("uv.lock", 59)]),
        ("pkg:pypi/werkzeug@2.2.3", False, False, [("uv.lock", 64)]),
    ]
    assert problems == []


def test_pdm_lock_groups_and_local_path() -> None:
    found, problems = scan("pdm")
    assert found == [
        ("pkg:pypi/asgiref@3.7.2", False, False, [("pdm.lock", 11)]),
        ("pkg:pypi/django@4.2.1", True, False, [("pdm.lock", 18), ("pyproject.toml", 4)]),
        ("pkg:pypi/ruff@0.1.6", True, True, [("pdm.lock", 29)]),  # [tool.pdm.dev-dependencies]
        ("pkg:pypi/sqlparse@0.4.3", False, False, [("pdm.lock", 36)]),
    ]  # `tools` is a local path: the project's own code
    assert problems == []


def test_pylock_markers_vcs_archive_and_directory() -> None:
    found, problems = scan("pylock")
    assert found == [
        ("pkg:pypi/jinja2@3.1.2", True, False, [("pylock.toml", 8)]),
        ("pkg:pypi/markupsafe@2.1.3", False, False, [("pylock.toml", 15)]),  # jinja2 needs it
        ("pkg:pypi/mylib", True, False, [("pylock.toml", 26)]),  # vcs: no version
        ("pkg:pypi/pytest@8.0.0", True, True, [("pylock.toml", 20)]),  # 'dev' in dependency_groups
        ("pkg:pypi/wheelonly", True, False, [("pylock.toml", 33)]),  # archive URL: no version
    ]
    assert problems == []


@pytest.mark.parametrize(
    ("name", "handled"),
    [
        ("pylock.toml", True),
        ("sub/pylock.prod.toml", True),
        ("pylock.a.b.toml", False),
        ("uv.lock", False),
    ],
)
def test_pylock_file_names(name: str, handled: bool) -> None:
    assert parser("pylock.toml").handles(name) is handled


@pytest.mark.parametrize(
    ("parser_name", "path", "text", "line", "start"),
    [
        ("poetry.lock", "poetry.lock", '[[package]]\nname = "a"\nversion = "1.0', 3, "invalid TOML: "),
        ("uv.lock", "uv.lock", "version = 1\n[[package]\n", 2, "invalid TOML: "),
        (
            "pdm.lock",
            "pdm.lock",
            '[[package]]\nname = "x"\nname = "y"\n',
            3,
            "invalid TOML: Cannot overwrite",
        ),
        (
            "Pipfile.lock",
            "Pipfile.lock",
            '{\n  "default": {\n    "six": {"version": "==1.0"',
            3,
            "invalid JSON: ",
        ),
        ("pylock.toml", "pylock.toml", '[[packages]]\nname = "six"\n', 1, "not a PEP 751 lock"),
    ],
)
def test_malformed_python_locks_are_one_problem_with_a_line(
    parser_name: str, path: str, text: str, line: int, start: str
) -> None:
    parsed = parser(parser_name).parse(text, path)
    assert parsed.components == ()
    (problem,) = parsed.problems
    assert (problem.path, problem.line) == (path, line)
    assert problem.reason.startswith(start)


def test_entry_without_version_is_a_problem_and_the_rest_goes_on() -> None:
    text = '[[package]]\nname = "a"\n\n[[package]]\nname = "b"\nversion = "2.0"\n'
    parsed = parser("poetry.lock").parse(text, "poetry.lock")
    assert [c.purl for c in parsed.components] == ["pkg:pypi/b@2.0"]
    assert [(p.line, p.reason) for p in parsed.problems] == [(2, "a [[package]] without a name and version")]
