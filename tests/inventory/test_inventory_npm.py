"""npm lockfiles: package-lock.json v1, v2 and v3, yarn.lock classic and berry, pnpm-lock.yaml v5, v6 and
v9 — aliases, workspaces, git and URL dependencies, nested copies, development-only packages."""

from __future__ import annotations

from pathlib import Path

import pytest

from firstpatch.inventory import PARSERS, collect
from firstpatch.inventory.interface import ManifestParser
from firstpatch.model import Ecosystem
from firstpatch.target import Target

DATA = Path(__file__).parent / "data" / "npm"

Row = tuple[str, bool, bool, int]


def scan(folder: str) -> list[Row]:
    components, problems = collect(Target.open(DATA / folder))
    assert problems == ()
    assert {c.ecosystem for c in components} == {Ecosystem.NPM}
    # Each fixture holds one lockfile: every component is found in it, at the line given.
    return [(c.purl, c.direct, c.dev, c.locations[0].line) for c in components]


def parser(name: str) -> ManifestParser:
    return next(p for p in PARSERS if p.name == name)


def test_package_lock_v1_nested_copies_alias_and_git() -> None:
    assert scan("lock-v1") == [
        ("pkg:npm/debug@2.6.9", False, False, 7),
        ("pkg:npm/express@4.17.1", True, False, 15),
        ("pkg:npm/mocha@9.2.2", True, True, 36),
        ("pkg:npm/ms@2.0.0", False, False, 53),
        ("pkg:npm/ms@2.1.3", False, True, 45),  # mocha's own copy, nested inside it
        ("pkg:npm/pad-left@1.0.2", True, False, 31),  # "left-pad": "npm:pad-left@^1.0.0"
        ("pkg:npm/qs@6.7.0", False, False, 24),
        ("pkg:npm/tiny", True, False, 58),  # from git: no version
    ]


def test_package_lock_v2_reads_its_packages_once_not_its_v1_copy_too() -> None:
    # v2 carries the same tree twice (`packages` for npm 7+, `dependencies` for npm 6).
    assert scan("lock-v2") == [
        ("pkg:npm/express@4.17.1", True, False, 17),
        ("pkg:npm/mocha@9.2.2", True, True, 28),
        ("pkg:npm/qs@6.7.0", False, False, 24),  # express's own copy
    ]


def test_package_lock_v3_workspaces_alias_tarball_and_git() -> None:
    assert scan("lock-v3") == [
        ("pkg:npm/%40babel/runtime@7.12.5", True, False, 24),
        ("pkg:npm/jest@29.7.0", True, True, 36),
        ("pkg:npm/lodash@3.10.1", True, False, 80),  # the workspace's own copy
        ("pkg:npm/lodash@4.17.20", True, False, 42),
        ("pkg:npm/react@18.2.0", True, False, 47),  # declared by the workspace, hoisted to the root
        ("pkg:npm/regenerator-runtime@0.13.11", False, False, 52),
        ("pkg:npm/string-width@4.2.3", True, False, 57),  # "str": "npm:string-width@^4.2.0"
        ("pkg:npm/tarball", True, False, 63),  # a URL outside the registry: no version
        ("pkg:npm/tiny", True, False, 68),
    ]  # the workspace package @mono/ui (and its link) is the project's own code


def test_yarn_classic() -> None:
    assert scan("yarn-classic") == [
        ("pkg:npm/%40babel/code-frame@7.12.13", True, False, 5),
        ("pkg:npm/%40babel/highlight@7.13.10", False, False, 12),
        ("pkg:npm/chalk@2.4.2", True, False, 19),
        ("pkg:npm/chalk@4.1.2", False, True, 31),  # reached only through eslint
        ("pkg:npm/eslint@8.10.0", True, True, 24),
        ("pkg:npm/left-pad@1.3.0", True, False, 36),  # foo@npm:left-pad@^1.3.0
        ("pkg:npm/tiny", True, False, 41),
    ]


def test_yarn_berry_workspaces_alias_git_and_patch() -> None:
    assert scan("yarn-berry") == [
        ("pkg:npm/js-tokens@4.0.0", False, False, 27),
        ("pkg:npm/lodash@4.17.20", True, False, 34),
        ("pkg:npm/loose-envify@1.4.0", False, False, 41),
        ("pkg:npm/react@18.2.0", True, False, 49),  # declared by the packages/ui workspace
        ("pkg:npm/string-width@4.2.3", True, False, 57),
        ("pkg:npm/tiny", True, False, 63),
        ("pkg:npm/typescript@5.3.3", True, True, 69),  # its patch: entry is not listed again
    ]


def test_pnpm_v5() -> None:
    assert scan("pnpm-v5") == [
        ("pkg:npm/%40types/node@18.11.9", True, True, 17),
        ("pkg:npm/debug@2.6.9", False, False, 21),
        ("pkg:npm/express@4.17.1", True, False, 27),
        ("pkg:npm/ms@2.0.0", False, False, 34),
        ("pkg:npm/vitest@0.34.6", True, True, 38),  # peer suffix dropped
    ]


def test_pnpm_v6_alias_peers_and_git() -> None:
    assert scan("pnpm-v6") == [
        ("pkg:npm/left-pad@1.3.0", True, False, 25),
        ("pkg:npm/react@18.2.0", True, False, 39),  # a dev dependency that react-dom needs at run time
        ("pkg:npm/react-dom@18.2.0", True, False, 30),
        ("pkg:npm/scheduler@0.23.0", False, False, 43),
        ("pkg:npm/tiny", True, False, 47),
    ]


def test_pnpm_v9_importers_and_snapshots() -> None:
    assert scan("pnpm-v9") == [
        ("pkg:npm/axios@1.6.0", True, False, 36),
        ("pkg:npm/follow-redirects@1.15.3", False, False, 39),
        ("pkg:npm/left-pad@1.3.0", True, False, 43),
        ("pkg:npm/react@18.2.0", True, False, 47),  # packages/ui's
        ("pkg:npm/tiny", True, False, 51),
        ("pkg:npm/typescript@5.3.3", True, True, 55),
    ]


def test_package_lock_v3_without_line_breaks_still_lists_components() -> None:
    text = (
        '{"lockfileVersion":3,"packages":{"":{"dependencies":{"a":"1"}},'
        '"node_modules/a":{"version":"1.0.0"}}}'
    )
    parsed = parser("package-lock.json").parse(text, "package-lock.json")
    assert [(c.purl, c.direct, c.locations[0].line) for c in parsed.components] == [
        ("pkg:npm/a@1.0.0", True, 1)
    ]


@pytest.mark.parametrize(
    ("parser_name", "path", "text", "line", "start"),
    [
        (
            "package-lock.json",
            "package-lock.json",
            '{\n  "lockfileVersion": 3,\n  "packages": {\n    "node_modules/a": {\n      "version": "1.0.0"',
            5,
            "invalid JSON: ",
        ),
        ("package-lock.json", "package-lock.json", '{"name": "x"}', 1, "not an npm lockfile"),
        (
            "pnpm-lock.yaml",
            "pnpm-lock.yaml",
            "lockfileVersion: '9.0'\npackages:\n  a@1.0.0: {\n",
            4,
            "invalid YAML: ",
        ),
        ("pnpm-lock.yaml", "pnpm-lock.yaml", "packages: {}\n", 1, "not a pnpm lockfile"),
        (
            "yarn.lock",
            "yarn.lock",
            '__metadata:\n  version: 8\n"a@npm:1":\n  version: [\n',
            5,
            "invalid YAML: ",
        ),
    ],
)
def test_malformed_npm_locks(parser_name: str, path: str, text: str, line: int, start: str) -> None:
    parsed = parser(parser_name).parse(text, path)
    assert parsed.components == ()
    (problem,) = parsed.problems
    assert (problem.path, problem.line) == (path, line)
    assert problem.reason.startswith(start)


def test_truncated_yarn_classic_reports_the_cut_entry_and_keeps_the_rest() -> None:
    text = (DATA / "yarn-classic" / "yarn.lock").read_text()
    cut = text[: text.index('  version "1.0.0"')]
    parsed = parser("yarn.lock").parse(cut, "yarn.lock")
    assert "pkg:npm/chalk@2.4.2" in {c.purl for c in parsed.components}
    assert [(p.line, p.reason) for p in parsed.problems] == [
        (41, "tiny@git+https://github.com/example/tiny.git#v1.0.0 has no version (is the file cut short?)")
    ]


def test_yaml_aliases_are_refused() -> None:
    text = "lockfileVersion: '9.0'\na: &x [1, 2]\nb: [*x, *x]\n"
    parsed = parser("pnpm-lock.yaml").parse(text, "pnpm-lock.yaml")
    assert [p.reason for p in parsed.problems] == [
        "YAML with aliases or nested deeper than 200 levels; not read"
    ]


def test_deeply_nested_json_is_refused_not_crashed() -> None:
    text = '{"lockfileVersion": 1, "dependencies": ' + "[" * 100_000 + "]" * 100_000 + "}"
    parsed = parser("package-lock.json").parse(text, "package-lock.json")
    assert parsed.components == ()
    assert [p.reason for p in parsed.problems] == ["invalid JSON: nested too deeply to read safely"]
