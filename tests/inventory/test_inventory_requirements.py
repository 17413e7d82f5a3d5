"""The requirements-file parser on text written the ways pip accepts (and a few it refuses)."""

from __future__ import annotations

from pathlib import Path

import pytest

from firstpatch.inventory import RequirementsParser
from firstpatch.inventory.interface import Parsed
from firstpatch.model import Component, Location, Skipped

DATA = Path(__file__).parent / "data" / "project"


def parse(text: str, path: str = "requirements.txt", files: dict[str, str] | None = None) -> Parsed:
    return RequirementsParser().parse(text, path, (files or {}).get)


def by_name(parsed: Parsed) -> dict[str, Component]:
    return {component.name: component for component in parsed.components}


@pytest.mark.parametrize(
    ("path", "handled"),
    [
        ("requirements.txt", True),
        ("requirements-dev.txt", True),
        ("sub/requirements_test.txt", True),
        ("dev-requirements.txt", True),
        ("requirements/base.txt", True),
        ("requirements/base.in", False),
        ("notes.txt", False),
        ("requirements.toml", False),
    ],
)
def test_handles_requirements_file_names(path: str, handled: bool) -> None:
    assert RequirementsParser().handles(path) is handled


def test_exact_pin_gives_version_purl_and_location() -> None:
    parsed = parse("# comment\n\nFlask==0.12.2\n")
    assert parsed.problems == ()
    (flask,) = parsed.components
    assert flask.purl == "pkg:pypi/flask@0.12.2"
    assert (flask.name, flask.version, flask.direct, flask.dev) == ("flask", "0.12.2", True, False)
    assert flask.locations == (Location("requirements.txt", 3, 1, snippet="Flask==0.12.2"),)


@pytest.mark.parametrize(
    ("line", "version"),
    [
        ("jinja2==2.10", "2.10"),
        ("jinja2 == 2.10", "2.10"),
        ("jinja2===2.10", "2.10"),
        ("jinja2>=2.10,==2.10.1", "2.10.1"),
        ("jinja2==2.*", None),
        ("jinja2>=2.10", None),
        ("jinja2~=2.10", None),
        ("jinja2", None),
        ("jinja2!=2.10", None),
    ],
)
def test_version_known_only_for_exact_pin(line: str, version: str | None) -> None:
    (component,) = parse(line).components
    assert component.version == version
    assert component.purl == ("pkg:pypi/jinja2" + (f"@{version}" if version else ""))


def test_names_are_pep503_normalised() -> None:
    parsed = parse("Zope.Interface==5.0\nruamel_yaml==0.17.0\n")
    assert [c.purl for c in parsed.components] == [
        "pkg:pypi/zope-interface@5.0",
        "pkg:pypi/ruamel-yaml@0.17.0",
    ]


def test_markers_extras_hashes_and_continuations() -> None:
    text = (
        'requests[socks]==2.19.1 ; python_version >= "3.6" \\\n'
        "    --hash=sha256:63b52e3c866428a224f97cab011de738c36aec0185aa91cfacd418b5d58911d1 \\\n"
        "    --hash sha256:ec22d826a36ed72a7358ff3fe56cbd4ba69dd7a6718ffd450ff0e9df7a47ce6a\n"
        "pyyaml==5.3  # trailing comment\n"
    )
    parsed = parse(text)
    assert parsed.problems == ()
    components = by_name(parsed)
    assert components["requests"].version == "2.19.1"
    assert components["requests"].locations[0].line == 1
    assert components["requests"].locations[0].snippet == 'requests[socks]==2.19.1 ; python_version >= "3.6"'
    assert components["pyyaml"].locations[0].line == 4


def test_comment_line_ends_a_continuation() -> None:
    parsed = parse("flask==1.0 \\\n# a comment\njinja2==2.10\n")
    assert [(c.name, c.version, c.locations[0].line) for c in parsed.components] == [
        ("flask", "1.0", 1),
        ("jinja2", "2.10", 3),
    ]


def test_url_fragment_is_not_a_comment() -> None:
    (component,) = parse("-e git+https://github.com/pallets/flask.git@1.0#egg=Flask\n").components
    assert (component.purl, component.version) == ("pkg:pypi/flask", None)


@pytest.mark.parametrize(
    ("line", "name"),
    [
        ("-e git+https://github.com/pallets/itsdangerous.git@2.1.2#egg=itsdangerous", "itsdangerous"),
        ("--editable=git+ssh://git@github.com/org/tool.git#egg=tool", "tool"),
        ("https://files.pythonhosted.org/packages/x/Werkzeug-2.2.2-py3-none-any.whl", "werkzeug"),
        ("https://example.org/dist/six-1.16.0.tar.gz#sha256=1e61c3", "six"),
        ("./dist/Click-8.0.0-py3-none-any.whl", "click"),
        ("black @ https://github.com/psf/black/archive/refs/tags/22.3.0.zip", "black"),
    ],
)
def test_url_vcs_and_editable_lines_are_unversioned_components(line: str, name: str) -> None:
    parsed = parse(line + "\n")
    assert parsed.problems == ()
    (component,) = parsed.components
    assert (component.name, component.version, component.purl) == (name, None, f"pkg:pypi/{name}")


def test_local_directories_are_left_to_analysis() -> None:
    assert parse("-e .\n-e ./libs/shared\n./vendor/pkg\n") == Parsed(())


def test_url_without_name_is_a_problem() -> None:
    parsed = parse("flask==1.0\ngit+https://github.com/org/thing.git@main\n")
    assert [c.name for c in parsed.components] == ["flask"]
    assert parsed.problems == (
        Skipped(
            "requirements.txt",
            "URL requirement 'git+https://github.com/org/thing.git@main' names no package (add #egg=<name>)",
            2,
        ),
    )


def test_bad_lines_are_problems_and_parsing_goes_on() -> None:
    text = "flask==1.0\ndjango>=\nrequests==2.0 --hash=md5\n--frobnicate\npyyaml==5.3 --user\njinja2==2.10\n"
    parsed = parse(text)
    assert [(c.name, c.version) for c in parsed.components] == [
        ("flask", "1.0"),
        ("requests", "2.0"),
        ("pyyaml", "5.3"),
        ("jinja2", "2.10"),
    ]
    assert [(p.line, p.reason) for p in parsed.problems] == [
        (2, "invalid requirement 'django>=': " + _packaging_reason("django>=")),
        (3, "malformed --hash value 'md5' (expected <algorithm>:<hex digest>)"),
        (4, "unknown option '--frobnicate'"),
        (5, "option '--user' is not allowed after a requirement"),
    ]
    assert {p.path for p in parsed.problems} == {"requirements.txt"}


def _packaging_reason(text: str) -> str:
    from packaging.requirements import InvalidRequirement, Requirement

    with pytest.raises(InvalidRequirement) as info:
        Requirement(text)
    return str(info.value).splitlines()[0]


def test_global_options_are_not_components() -> None:
    text = "--index-url https://pypi.org/simple\n-i https://mirror\n--pre\n--no-binary :all:\nsix==1.16.0\n"
    parsed = parse(text)
    assert parsed.problems == ()
    assert [c.purl for c in parsed.components] == ["pkg:pypi/six@1.16.0"]


def test_includes_resolve_relative_to_the_including_file() -> None:
    files = {
        "requirements/base.txt": "-r common/pins.txt\nmarkupsafe==2.1.1\n",
        "requirements/common/pins.txt": "itsdangerous==2.0.0\n",
    }
    parsed = parse("-r requirements/base.txt\nflask==2.0.0\n", files=files)
    assert parsed.problems == ()
    assert [(c.name, c.locations[0].path, c.locations[0].line) for c in parsed.components] == [
        ("itsdangerous", "requirements/common/pins.txt", 1),
        ("markupsafe", "requirements/base.txt", 2),
        ("flask", "requirements.txt", 2),
    ]


def test_include_cycle_is_reported_once_and_not_followed() -> None:
    files = {"a.txt": "-r b.txt\nsix==1.0\n", "b.txt": "--requirement=a.txt\nidna==2.8\n"}
    parsed = parse("-r a.txt\n", path="requirements.txt", files=files)
    assert [c.name for c in parsed.components] == ["idna", "six"]
    assert parsed.problems == (
        Skipped("b.txt", "include cycle a.txt -> b.txt -> a.txt; not followed again", 1),
    )


def test_diamond_includes_are_read_once() -> None:
    files = {"a.txt": "-r c.txt\n", "b.txt": "-r c.txt\n", "c.txt": "six==1.0\n"}
    parsed = parse("-r a.txt\n-r b.txt\n", files=files)
    assert parsed.problems == ()
    assert [c.purl for c in parsed.components] == ["pkg:pypi/six@1.0"]


def test_includes_that_cannot_be_read() -> None:
    parsed = parse(
        "-r missing.txt\n-c ../../etc/passwd\n-r https://example.org/reqs.txt\n-r /abs/reqs.txt\n",
        path="sub/requirements.txt",
    )
    assert parsed.components == ()
    assert [(p.line, p.reason) for p in parsed.problems] == [
        (1, "requirements file 'missing.txt' (sub/missing.txt) is not a readable file of the target"),
        (2, "constraints file '../../etc/passwd' is outside the target; not followed"),
        (
            3,
            "remote requirements file 'https://example.org/reqs.txt' not followed: "
            "firstpatch reads no network",
        ),
        (4, "requirements file '/abs/reqs.txt' is outside the target; not followed"),
    ]


def test_without_reader_includes_are_reported() -> None:
    parsed = RequirementsParser().parse("-r base.txt\n", "requirements.txt")
    assert parsed.problems == (
        Skipped(
            "requirements.txt",
            "requirements file 'base.txt' (base.txt) is not a readable file of the target",
            1,
        ),
    )


def test_constraints_pin_unpinned_requirements_and_stand_alone_as_indirect() -> None:
    files = {"constraints.txt": "urllib3==1.26.4\nidna==2.8\nflask==9.9\n"}
    parsed = parse("-c constraints.txt\nurllib3\nflask==2.0.0\n", files=files)
    components = by_name(parsed)
    assert components["urllib3"].version == "1.26.4"
    assert components["urllib3"].direct is True
    assert components["urllib3"].locations == (
        Location("requirements.txt", 2, 1, snippet="urllib3"),
        Location("constraints.txt", 1, 1, snippet="urllib3==1.26.4"),
    )
    # An exact pin in the requirement wins; the constraint is not a second component.
    assert [(c.name, c.version) for c in parsed.components if c.name == "flask"] == [("flask", "2.0.0")]
    assert (components["idna"].version, components["idna"].direct) == ("2.8", False)


@pytest.mark.parametrize(
    ("path", "dev"),
    [
        ("requirements-dev.txt", True),
        ("requirements/test.txt", True),
        ("docs/requirements.txt", True),
        ("requirements_lint.txt", True),
        ("requirements.txt", False),
        ("requirements/base.txt", False),
        ("requirements-prod.txt", False),
    ],
)
def test_dev_files(path: str, dev: bool) -> None:
    (component,) = parse("six==1.0\n", path=path).components
    assert component.dev is dev


def test_dev_is_inherited_by_included_files() -> None:
    parsed = parse("-r base.txt\n", path="requirements-dev.txt", files={"base.txt": "six==1.0\n"})
    (component,) = parsed.components
    assert (component.dev, component.locations[0].path) == (True, "base.txt")


def test_fixture_file_as_written() -> None:
    text = (DATA / "requirements.txt").read_text()
    files = {
        "requirements/base.txt": (DATA / "requirements" / "base.txt").read_text(),
        "constraints.txt": (DATA / "constraints.txt").read_text(),
    }
    parsed = parse(text, files=files)
    assert [(c.purl, c.locations[0].path, c.locations[0].line) for c in parsed.components] == [
        ("pkg:pypi/markupsafe@2.1.1", "requirements/base.txt", 1),
        ("pkg:pypi/idna@2.8", "constraints.txt", 2),
        ("pkg:pypi/flask@2.2.2", "requirements.txt", 6),
        ("pkg:pypi/requests@2.19.1", "requirements.txt", 7),
        ("pkg:pypi/urllib3@1.26.4", "requirements.txt", 10),
        ("pkg:pypi/jinja2", "requirements.txt", 11),
        ("pkg:pypi/pyyaml", "requirements.txt", 12),
        ("pkg:pypi/itsdangerous", "requirements.txt", 13),
        ("pkg:pypi/werkzeug", "requirements.txt", 14),
        ("pkg:pypi/certifi@2022.12.7", "requirements.txt", 17),
    ]
    assert [(p.path, p.line) for p in parsed.problems] == [
        ("requirements/base.txt", 2),
        ("requirements.txt", 16),
        ("requirements.txt", 17),
    ]
