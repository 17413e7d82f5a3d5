"""pyproject.toml: PEP 621, PEP 735 and Poetry dependency tables, and TOML that does not parse."""

from __future__ import annotations

from pathlib import Path

import pytest

from firstpatch.inventory import PyprojectParser
from firstpatch.inventory.interface import Parsed
from firstpatch.model import Location, Skipped

DATA = Path(__file__).parent / "data" / "project"


def parse_file(relative: str) -> Parsed:
    return PyprojectParser().parse((DATA / relative).read_text(), relative)


def rows(parsed: Parsed) -> list[tuple[str, str | None, int, bool]]:
    return [(c.purl, c.version, c.locations[0].line, c.dev) for c in parsed.components]


def test_handles_only_pyproject_toml() -> None:
    parser = PyprojectParser()
    assert parser.handles("pyproject.toml")
    assert parser.handles("services/api/pyproject.toml")
    assert not parser.handles("poetry.lock")
    assert not parser.handles("pyproject.toml.bak")


def test_pep621_dependencies_and_optional_groups() -> None:
    parsed = parse_file("pyproject.toml")
    assert rows(parsed) == [
        ("pkg:pypi/requests@2.19.1", "2.19.1", 9, False),
        ("pkg:pypi/cryptography", None, 10, False),
        ("pkg:pypi/pyjwt@2.4.0", "2.4.0", 11, False),
        ("pkg:pypi/pytest@7.0.0", "7.0.0", 16, True),  # test group: dev
        ("pkg:pypi/coverage", None, 16, True),
        ("pkg:pypi/sphinx@5.0.0", "5.0.0", 17, True),  # docs group: dev
        ("pkg:pypi/boto3@1.26.0", "1.26.0", 18, False),  # s3 extra: a runtime option
    ]
    assert parsed.components[2].locations == (
        Location("pyproject.toml", 11, 1, snippet="'pyjwt[crypto] == 2.4.0; python_version >= \"3.7\"',"),
    )
    assert parsed.problems == ()


def test_invalid_pep508_entry_is_a_problem_at_its_line() -> None:
    # Written here, not as a fixture file: ruff rejects a repository holding this pyproject.toml.
    text = '[project]\nname = "x"\ndependencies = [\n    "six==1.0",\n    "not a requirement!",\n]\n'
    parsed = PyprojectParser().parse(text, "pyproject.toml")
    assert [c.purl for c in parsed.components] == ["pkg:pypi/six@1.0"]
    assert parsed.problems == (
        Skipped(
            "pyproject.toml",
            "[project] dependencies: invalid requirement 'not a requirement!': "
            "Expected semicolon (after name with no version specifier) or end",
            5,
        ),
    )


def test_poetry_tables() -> None:
    parsed = parse_file("services/api/pyproject.toml")
    assert rows(parsed) == [
        ("pkg:pypi/fastapi@0.65.1", "0.65.1", 7, False),  # a bare version is an exact pin in Poetry
        ("pkg:pypi/starlette", None, 8, False),  # ^0.14 is a range
        ("pkg:pypi/pillow@9.0.0", "9.0.0", 9, False),
        ("pkg:pypi/httpx", None, 10, False),  # from git: no release version
        ("pkg:pypi/ruff@0.0.290", "0.0.290", 13, True),  # lint group: dev
        ("pkg:pypi/celery@5.2.1", "5.2.1", 16, False),  # worker group: not a dev name
    ]
    assert "python" not in {c.name for c in parsed.components}
    assert parsed.problems == ()


def test_poetry_legacy_dev_dependencies_and_bad_entries() -> None:
    text = (
        "[tool.poetry.dependencies]\n"
        'python = "^3.8"\n'
        '"bad name!" = "1.0"\n'
        "requests = 3\n"
        'django = [{ version = "3.2.0", python = "<3.8" }, { version = "4.0.0", python = ">=3.8" }]\n'
        "\n"
        "[tool.poetry.dev-dependencies]\n"
        'pytest = "==7.1.0"\n'
    )
    parsed = PyprojectParser().parse(text, "pyproject.toml")
    assert rows(parsed) == [
        ("pkg:pypi/django", None, 5, False),
        ("pkg:pypi/pytest@7.1.0", "7.1.0", 8, True),
    ]
    assert [(p.line, p.reason) for p in parsed.problems] == [
        (3, "[tool.poetry.dependencies]: invalid package name 'bad name!'"),
        (4, "[tool.poetry.dependencies]: requests has an unreadable constraint 3"),
    ]


def test_pep735_dependency_groups() -> None:
    text = (
        "[dependency-groups]\n"
        'test = ["pytest==8.0.0", {include-group = "typing"}]\n'
        'typing = ["mypy==1.10.0"]\n'
        'release = ["twine==5.0.0"]\n'
    )
    assert rows(PyprojectParser().parse(text, "pyproject.toml")) == [
        ("pkg:pypi/pytest@8.0.0", "8.0.0", 2, True),
        ("pkg:pypi/mypy@1.10.0", "1.10.0", 3, True),
        ("pkg:pypi/twine@5.0.0", "5.0.0", 4, False),
    ]


def test_same_requirement_in_two_groups_points_at_each() -> None:
    text = (
        '[project]\nname = "x"\ndependencies = ["six==1.0"]\n\n'
        '[project.optional-dependencies]\ndev = ["six==1.0"]\n'
    )
    parsed = PyprojectParser().parse(text, "pyproject.toml")
    assert [(c.purl, c.locations[0].line, c.dev) for c in parsed.components] == [
        ("pkg:pypi/six@1.0", 3, False),
        ("pkg:pypi/six@1.0", 6, True),
    ]


def test_wrong_shapes_are_problems() -> None:
    text = '[project]\nname = "x"\ndependencies = "flask"\n\n[tool.poetry]\ndependencies = ["flask"]\n'
    parsed = PyprojectParser().parse(text, "pyproject.toml")
    assert parsed.components == ()
    assert [(p.line, p.reason) for p in parsed.problems] == [
        (3, "[project] dependencies must be a list of strings"),
        (0, "[tool.poetry.dependencies] must be a table"),
    ]


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        (
            '[project]\nname = "legacy"\ndependencies = [\n    "flask==0.12.2"\n    "jinja2==2.10",\n]\n',
            5,
            "Unclosed array",
        ),
        ("[project\nname = 1\n", 1, "Expected ']' at the end of a table declaration"),
        ('[project]\nname = "a"\nname = "b"\n', 3, "Cannot overwrite a value"),
        ("[project]\ndependencies = [\n", 2, "Invalid value (at end of document)"),  # no line: the last
    ],
)
def test_invalid_toml_is_one_problem_with_tomllibs_line(text: str, line: int, message: str) -> None:
    parsed = PyprojectParser().parse(text, "pkg/pyproject.toml")
    assert parsed.components == ()
    (problem,) = parsed.problems
    assert (problem.path, problem.line) == ("pkg/pyproject.toml", line)
    assert problem.reason.startswith(f"invalid TOML: {message}")
