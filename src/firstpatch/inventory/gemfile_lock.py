"""Gemfile.lock: the gems Bundler resolved.

Sections `GEM` (gems from a registry), `GIT` (from a repository: no release version) and `PATH`
(local: the project itself when its remote is `.`, otherwise reported without a version) list
their gems as `name (version)` four spaces in, each followed by what it needs six spaces in.
`DEPENDENCIES` names the gems the Gemfile asks for: those are direct. A platform-specific gem
(`nokogiri (1.13.10-x86_64-linux)`) keeps its platform as a purl qualifier. Bundler does not
record groups in the lock, so every gem counts as runtime.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath

from firstpatch.inventory._graph import Locked, locked_components
from firstpatch.inventory._lines import Lines
from firstpatch.inventory.interface import ManifestParser, Parsed, Reader
from firstpatch.model import Ecosystem, Skipped

_SPEC = re.compile(r"^    (\S+) \(([^)]+)\)$")
_SPEC_DEPENDENCY = re.compile(r"^      (\S+)(?: \(.*\))?$")
_DIRECT = re.compile(r"^  (\S+?)(!)?(?: \(.*\))?$")
_SOURCE_SECTIONS = frozenset({"GEM", "GIT", "PATH", "PLUGIN SOURCE"})


class GemfileLockParser(ManifestParser):
    name = "Gemfile.lock"

    def handles(self, filename: str) -> bool:
        return PurePosixPath(filename).name in ("Gemfile.lock", "gems.locked")

    def parse(self, text: str, path: str, read: Reader | None = None) -> Parsed:
        lines = Lines(text)
        problems: list[Skipped] = []
        found: list[tuple[str, str, str, int, list[str]]] = []  # name, version, section, line, needs
        direct: set[str] = set()
        section = ""
        sections: set[str] = set()
        remote = ""
        for number, raw in enumerate(text.splitlines(), start=1):
            if not raw.strip():
                continue
            if not raw.startswith(" "):
                section, remote = raw.strip(), ""
                sections.add(section)
                continue
            if section in _SOURCE_SECTIONS:
                if raw.startswith("  remote:"):
                    remote = raw.split(":", 1)[1].strip()
                elif (spec := _SPEC.match(raw)) is not None:
                    found.append(
                        (spec.group(1), spec.group(2), section if remote != "." else "SELF", number, [])
                    )
                elif (need := _SPEC_DEPENDENCY.match(raw)) is not None and found:
                    found[-1][4].append(need.group(1))
                elif not raw.startswith("  ") or raw.startswith("    "):
                    problems.append(Skipped(path, f"unreadable line {raw.strip()[:80]!r}", number))
            elif section == "DEPENDENCIES" and (match := _DIRECT.match(raw)) is not None:
                direct.add(match.group(1))
        if "DEPENDENCIES" not in sections:  # Bundler always writes it, after the sources
            problems.append(
                Skipped(path, "no DEPENDENCIES section: the file looks truncated", len(text.splitlines()))
            )
        entries: list[Locked] = []
        for name, written, kind, number, needs in found:
            if kind == "SELF":
                direct.update(needs)  # the project's own gemspec: what it needs is direct
                continue
            version, _, platform = written.partition("-")
            entries.append(
                Locked(
                    name,
                    name,
                    version if kind == "GEM" else None,
                    lines.location(path, number),
                    tuple(needs),
                    dev=False,
                    qualifiers=(("platform", platform),) if platform else (),
                )
            )
        roots = direct if direct else None
        return Parsed(locked_components(Ecosystem.RUBYGEMS, entries, roots), tuple(problems))
