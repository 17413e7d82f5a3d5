"""go.mod, Cargo.lock, Gemfile.lock, composer.lock, pom.xml and packages.lock.json on real files:
purls, OSV names and versions, roles and lines, and what each does with bad input."""

from __future__ import annotations

from pathlib import Path

import pytest

from firstpatch.inventory import PARSERS, collect
from firstpatch.inventory.interface import ManifestParser
from firstpatch.model import Skipped
from firstpatch.target import Target

DATA = Path(__file__).parent / "data" / "other"

Row = tuple[str, str, str | None, bool, bool, list[tuple[str, int]]]


def scan(folder: str) -> tuple[list[Row], tuple[Skipped, ...]]:
    components, problems = collect(Target.open(DATA / folder))
    found = [
        (c.purl, c.name, c.version, c.direct, c.dev, [(loc.path, loc.line) for loc in c.locations])
        for c in components
    ]
    return found, problems


def parser(name: str) -> ManifestParser:
    return next(p for p in PARSERS if p.name == name)


def test_go_mod_requires_indirect_replace_and_toolchain() -> None:
    found, problems = scan("go")
    assert found == [
        # replaced by a local directory: no release version; both lines are where it comes from
        (
            "pkg:golang/example.com/internal/helpers",
            "example.com/internal/helpers",
            None,
            True,
            False,
            [("go.mod", 12), ("go.mod", 20)],
        ),
        (
            "pkg:golang/example.com/quoted/mod@v0.1.0",
            "example.com/quoted/mod",
            "0.1.0",
            True,
            False,
            [("go.mod", 11)],
        ),
        (
            "pkg:golang/github.com/gin-gonic/gin@v1.9.0",
            "github.com/gin-gonic/gin",
            "1.9.0",
            True,
            False,
            [("go.mod", 8)],
        ),
        (
            "pkg:golang/github.com/gorilla/websocket@v1.4.0",
            "github.com/gorilla/websocket",
            "1.4.0",
            False,
            False,
            [("go.mod", 9)],
        ),
        # `replace ... v0.9.0 =>` names another version: v0.9.1 stays
        (
            "pkg:golang/github.com/pkg/errors@v0.9.1",
            "github.com/pkg/errors",
            "0.9.1",
            True,
            False,
            [("go.mod", 15)],
        ),
        (
            "pkg:golang/golang.org/x/net@v0.17.0",
            "golang.org/x/net",
            "0.17.0",
            False,
            False,
            [("go.mod", 10), ("go.mod", 17)],
        ),
        ("pkg:golang/stdlib@v1.21.5", "stdlib", "1.21.5", True, False, [("go.mod", 5)]),  # toolchain line
    ]
    assert problems == ()


@pytest.mark.parametrize(
    ("text", "line", "reason"),
    [
        (
            "module m\n\nrequire (\n\tgithub.com/a/b v1.0.0\n",
            4,
            "require block not closed: the file looks truncated",
        ),
        ("module m\nrequire github.com/a/b\n", 2, "require needs a module and a version: 'github.com/a/b'"),
        ("module m\nrequires github.com/a/b v1.0.0\n", 2, "unknown directive 'requires'"),
    ],
)
def test_go_mod_problems(text: str, line: int, reason: str) -> None:
    parsed = parser("go.mod").parse(text, "go.mod")
    assert [(p.line, p.reason) for p in parsed.problems] == [(line, reason)]


def test_go_version_line_gives_stdlib_when_no_toolchain() -> None:
    parsed = parser("go.mod").parse("module m\n\ngo 1.20\n", "go.mod")
    assert [(c.purl, c.version, c.locations[0].line) for c in parsed.components] == [
        ("pkg:golang/stdlib@v1.20.0", "1.20.0", 3)
    ]


def test_cargo_lock_workspace_members_git_and_graph() -> None:
    found, problems = scan("cargo")
    assert found == [
        ("pkg:cargo/bytes@1.4.0", "bytes", "1.4.0", False, False, [("Cargo.lock", 16)]),
        ("pkg:cargo/mygit", "mygit", None, True, False, [("Cargo.lock", 22)]),  # from git
        ("pkg:cargo/serde@1.0.160", "serde", "1.0.160", True, False, [("Cargo.lock", 27)]),
        ("pkg:cargo/tokio@1.18.0", "tokio", "1.18.0", True, False, [("Cargo.lock", 33)]),
    ]  # app and utils have no source: the workspace's own crates
    assert problems == ()


def test_gemfile_lock_sections_platform_and_direct_gems() -> None:
    found, problems = scan("ruby")
    assert found == [
        ("pkg:gem/mustermann@2.0.2", "mustermann", "2.0.2", False, False, [("Gemfile.lock", 18)]),
        (
            "pkg:gem/nokogiri@1.13.10?platform=x86_64-linux",
            "nokogiri",
            "1.13.10",
            True,
            False,
            [("Gemfile.lock", 20)],
        ),
        ("pkg:gem/racc@1.6.2", "racc", "1.6.2", False, False, [("Gemfile.lock", 22)]),
        ("pkg:gem/rack@2.2.4", "rack", "2.2.4", False, False, [("Gemfile.lock", 23)]),
        ("pkg:gem/rack-protection@2.2.3", "rack-protection", "2.2.3", False, False, [("Gemfile.lock", 24)]),
        ("pkg:gem/rails-ext", "rails-ext", None, True, False, [("Gemfile.lock", 6)]),  # GIT section
        ("pkg:gem/ruby2_keywords@0.0.5", "ruby2_keywords", "0.0.5", False, False, [("Gemfile.lock", 26)]),
        # needed by the project's own gemspec (PATH remote: .), which the Gemfile names
        ("pkg:gem/sinatra@2.2.3", "sinatra", "2.2.3", True, False, [("Gemfile.lock", 27)]),
        ("pkg:gem/tilt@2.0.11", "tilt", "2.0.11", False, False, [("Gemfile.lock", 32)]),
    ]
    assert problems == ()


def test_gems_locked_is_a_gemfile_lock_too(tmp_path: Path) -> None:
    (tmp_path / "gems.locked").write_text((DATA / "ruby" / "Gemfile.lock").read_text())
    components, _ = collect(Target.open(tmp_path))
    assert ("pkg:gem/rack@2.2.4", "gems.locked", 23) in {
        (c.purl, c.locations[0].path, c.locations[0].line) for c in components
    }


def test_truncated_gemfile_lock() -> None:
    text = (DATA / "ruby" / "Gemfile.lock").read_text()
    cut = text[: text.index("    tilt (2.0.11)")]
    parsed = parser("Gemfile.lock").parse(cut, "Gemfile.lock")
    assert "pkg:gem/sinatra@2.2.3" in {c.purl for c in parsed.components}
    assert [(p.line, p.reason) for p in parsed.problems] == [
        (31, "no DEPENDENCIES section: the file looks truncated")
    ]


def test_composer_lock_sections_branches_and_v_prefix() -> None:
    found, problems = scan("php")
    assert found == [
        ("pkg:composer/acme/toolkit", "acme/toolkit", None, True, False, [("composer.lock", 8)]),  # dev-main
        (
            "pkg:composer/monolog/monolog@2.9.1",
            "monolog/monolog",
            "2.9.1",
            True,
            False,
            [("composer.lock", 18)],
        ),
        (
            "pkg:composer/phpunit/phpunit@9.6.7",
            "phpunit/phpunit",
            "9.6.7",
            True,
            True,
            [("composer.lock", 37)],
        ),
        ("pkg:composer/psr/log@3.0.0", "psr/log", "3.0.0", False, False, [("composer.lock", 27)]),
        (
            "pkg:composer/sebastian/diff@v4.0.4",
            "sebastian/diff",
            "4.0.4",
            False,
            True,
            [("composer.lock", 46)],
        ),
    ]
    assert problems == ()


def test_maven_properties_parent_management_and_scopes() -> None:
    found, problems = scan("maven")
    assert found == [
        # ${project.groupId} and ${project.version} from the parent this pom inherits
        (
            "pkg:maven/com.example/shared@2.1.0",
            "com.example:shared",
            "2.1.0",
            True,
            False,
            [("app/pom.xml", 30)],
        ),
        # no version here: the parent's dependencyManagement, whose ${jackson.version} is the parent's
        (
            "pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.9.8",
            "com.fasterxml.jackson.core:jackson-databind",
            "2.9.8",
            True,
            False,
            [("app/pom.xml", 21)],
        ),
        (
            "pkg:maven/com.google.guava/guava",
            "com.google.guava:guava",
            None,
            True,
            False,
            [("app/pom.xml", 41)],
        ),  # a range
        (
            "pkg:maven/junit/junit@4.12",
            "junit:junit",
            "4.12",
            True,
            True,
            [("app/pom.xml", 35)],
        ),  # test scope
        (
            "pkg:maven/org.apache.commons/commons-text@1.9",
            "org.apache.commons:commons-text",
            "1.9",
            True,
            False,
            [("app/pom.xml", 25)],
        ),
        (
            "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1",
            "org.apache.logging.log4j:log4j-core",
            "2.14.1",
            True,
            False,
            [("app/pom.xml", 16)],
        ),
        ("pkg:maven/org.yaml/snakeyaml", "org.yaml:snakeyaml", None, True, False, [("app/pom.xml", 46)]),
    ]
    assert problems == (
        Skipped(
            "app/pom.xml",
            "org.yaml:snakeyaml: version ${snakeyaml.version} refers to an undefined property",
            46,
        ),
    )


@pytest.mark.parametrize(
    ("text", "line", "start"),
    [
        ("<project>\n  <dependencies>\n    <dependency>\n", 4, "invalid XML: no element found"),
        ("<settings/>", 1, "not a Maven POM: the root element is <settings>"),
        (
            '<!DOCTYPE p [<!ENTITY e "x">]>\n<project>&e;</project>',
            1,
            "XML refused: the document declares an entity; firstpatch does not expand XML entities",
        ),
        ("<project>" * 300 + "</project>" * 300, 0, "XML nested deeper than 200 levels"),
    ],
)
def test_maven_bad_xml(text: str, line: int, start: str) -> None:
    parsed = parser("pom.xml").parse(text, "pom.xml")
    assert parsed.components == ()
    (problem,) = parsed.problems
    assert problem.line == line
    assert problem.reason.startswith(start), problem.reason


def test_nuget_lock_frameworks_and_project_references() -> None:
    found, problems = scan("nuget")
    assert found == [
        (
            "pkg:nuget/Newtonsoft.Json@12.0.1",
            "Newtonsoft.Json",
            "12.0.1",
            True,
            False,
            [("packages.lock.json", 5)],
        ),
        # the same package for two targets: one component, both places
        (
            "pkg:nuget/System.Text.Encodings.Web@4.7.1",
            "System.Text.Encodings.Web",
            "4.7.1",
            False,
            False,
            [("packages.lock.json", 11), ("packages.lock.json", 27)],
        ),
    ]
    assert problems == ()
