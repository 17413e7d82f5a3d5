"""go.mod: the modules a Go main module requires.

`require` lines and blocks name modules at exact versions (Go's minimal version selection makes
the listed version the one built); `// indirect` marks a module required only through others.
`replace` swaps a module (at one version or all) for another module and version, or for a local
directory, which is reported without a version. The `toolchain` (else the `go`) line gives the
standard library, which the Go vulnerability database lists as the module `stdlib`.

Versions are given as OSV writes them, without Go's `v` (`1.9.1`); purls keep the `v` that Go
tooling writes (`pkg:golang/github.com/gin-gonic/gin@v1.9.1`).
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, replace
from pathlib import PurePosixPath

from firstpatch.inventory._lines import Lines
from firstpatch.inventory._purl import component
from firstpatch.inventory.interface import ManifestParser, Parsed, Reader
from firstpatch.model import Component, Ecosystem, Location, Skipped

_DIRECTIVES = frozenset(
    {"module", "go", "toolchain", "require", "replace", "exclude", "retract", "godebug", "tool", "ignore"}
)
_GO_VERSION = re.compile(r"^(?:go)?(\d+)\.(\d+)(?:\.(\d+))?((?:rc|beta)\d+)?$")


@dataclass(frozen=True, slots=True)
class _Require:
    module: str
    version: str
    indirect: bool
    location: Location


@dataclass(frozen=True, slots=True)
class _Replace:
    module: str
    version: str | None  # only this version of `module` is replaced; None: every version
    new_module: str
    new_version: str | None  # None: a local directory
    location: Location


class GoModParser(ManifestParser):
    name = "go.mod"

    def handles(self, filename: str) -> bool:
        return PurePosixPath(filename).name == "go.mod"

    def parse(self, text: str, path: str, read: Reader | None = None) -> Parsed:
        lines = Lines(text)
        requires: list[_Require] = []
        replaces: list[_Replace] = []
        problems: list[Skipped] = []
        toolchain: tuple[str, Location] | None = None
        go_line: tuple[str, Location] | None = None
        block: str | None = None
        for number, raw in enumerate(text.splitlines(), start=1):
            code, _, comment = raw.partition("//")
            line = code.strip()
            if not line:
                continue
            location = lines.location(path, number)
            if block is not None:
                if line == ")":
                    block = None
                    continue
                directive, rest = block, line
            else:
                directive, _, rest = line.partition(" ")
                directive, rest = directive.strip(), rest.strip()
                if directive not in _DIRECTIVES:
                    problems.append(Skipped(path, f"unknown directive {directive!r}", number))
                    continue
                if rest == "(":
                    block = directive
                    continue
            try:
                # Module paths are quoted only when unusual: split plainly unless a quote is there.
                words = shlex.split(rest) if '"' in rest or "`" in rest else rest.split()
            except ValueError as exc:
                problems.append(Skipped(path, f"unreadable {directive} line: {exc}", number))
                continue
            if directive == "require":
                if len(words) != 2 or not words[1].startswith("v"):
                    problems.append(Skipped(path, f"require needs a module and a version: {rest!r}", number))
                    continue
                indirect = comment.strip().startswith("indirect")
                requires.append(_Require(words[0], words[1], indirect, location))
            elif directive == "replace":
                parsed = _replace(words, location)
                if parsed is None:
                    problems.append(Skipped(path, f"unreadable replace: {rest!r}", number))
                else:
                    replaces.append(parsed)
            elif directive == "toolchain" and words:
                toolchain = (words[0], location)
            elif directive == "go" and words:
                go_line = (words[0], location)
        if block is not None:
            problems.append(
                Skipped(
                    path, f"{block} block not closed: the file looks truncated", len(lines.text.splitlines())
                )
            )
        components = [_component(require, replaces) for require in requires]
        stdlib = toolchain or go_line
        if stdlib is not None:
            version = _go_version(stdlib[0])
            if version is None:
                problems.append(Skipped(path, f"unreadable Go version {stdlib[0]!r}", stdlib[1].line))
            else:
                components.append(
                    component(Ecosystem.GO, "stdlib", version, stdlib[1], purl_version=f"v{version}")
                )
        return Parsed(tuple(components), tuple(problems))


def _replace(words: list[str], location: Location) -> _Replace | None:
    if "=>" not in words:
        return None
    arrow = words.index("=>")
    old, new = words[:arrow], words[arrow + 1 :]
    if len(old) not in (1, 2) or len(new) not in (1, 2):
        return None
    local = len(new) == 1
    return _Replace(old[0], old[1] if len(old) == 2 else None, new[0], None if local else new[1], location)


def _component(require: _Require, replaces: list[_Replace]) -> Component:
    module, version, locations = require.module, require.version, [require.location]
    local = False
    for swap in replaces:
        if swap.module == module and swap.version in (None, version):
            locations.append(swap.location)
            if swap.new_version is None:
                local = True  # a directory of the project: whatever it holds has no release version
            else:
                module, version = swap.new_module, swap.new_version
            break
    plain = None if local else version.removeprefix("v")
    found = component(
        Ecosystem.GO, module, plain, require.location, direct=not require.indirect, purl_version=version
    )
    return replace(found, locations=tuple(locations))


def _go_version(text: str) -> str | None:
    """`1.21` / `go1.21.5` -> the release as the Go vulnerability database writes it (`1.21.0`)."""
    match = _GO_VERSION.match(text)
    if match is None:
        return None
    major, minor, patch, pre = match.groups()
    return f"{major}.{minor}.{patch or 0}" + (f"-{pre}" if pre else "")
