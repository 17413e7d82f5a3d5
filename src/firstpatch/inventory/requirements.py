"""pip requirements files (`requirements*.txt`, `*-requirements.txt`, `requirements/*.txt`).

Each logical line (backslash continuations joined, `#` comments removed) is one of:
- a PEP 508 requirement, parsed by `packaging`, optionally followed by per-requirement options
  (`--hash=...`); its version is known only for an exact `==` pin;
- an include, `-r other.txt` (more requirements) or `-c other.txt` (constraints: pins for
  whatever gets installed), read through the `Reader` relative to the including file;
- an editable (`-e`), URL or VCS reference: reported without a version, named by its `#egg=`
  fragment or its archive's file name; local paths are the project's own code and are left to
  the analysis stage;
- a global option (`--index-url`, ...), which says nothing about components.
A line that is none of these becomes a problem with its line number, and parsing goes on.
"""

from __future__ import annotations

import posixpath
import re
import shlex
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import PurePosixPath

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    canonicalize_name,
    parse_sdist_filename,
    parse_wheel_filename,
)

from firstpatch.inventory._pypi import exact_version, is_dev_group, pypi_component
from firstpatch.inventory.interface import ManifestParser, Parsed, Reader
from firstpatch.model import Component, Location, Skipped

# pip takes `#` as a comment only at the start or after whitespace, so `#egg=` fragments survive.
_COMMENT = re.compile(r"(?:^|\s)#.*$")
_URL = re.compile(r"^(?:[A-Za-z][A-Za-z0-9+.-]*://|file:)")
_EGG = re.compile(r"[#&]egg=([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)")
_DIRECT_REFERENCE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*\s*(?:\[[^\]]*\])?\s*@")  # name @ url
_OPTION_START = re.compile(r"\s-{1,2}[A-Za-z]")
_HASH = re.compile(r"^[a-z0-9]+:[0-9a-fA-F]+$")
_ARCHIVES = (".whl", ".tar.gz", ".tgz", ".tar.bz2", ".tbz", ".tar.xz", ".txz", ".tar", ".zip")

# Include options, and whether the file they name holds constraints rather than requirements.
_INCLUDES = {"-r": False, "--requirement": False, "-c": True, "--constraint": True}
_EDITABLE = frozenset({"-e", "--editable"})
_GLOBAL = frozenset(
    {
        "-i", "--index-url", "--extra-index-url", "--no-index", "-f", "--find-links", "--pre",
        "--prefer-binary", "--only-binary", "--no-binary", "--require-hashes", "--trusted-host",
        "--use-feature",
    }
)  # fmt: skip
_PER_REQUIREMENT = frozenset({"--hash", "--global-option", "--install-option", "--config-settings", "-C"})


@dataclass(frozen=True, slots=True)
class _Line:
    number: int  # the first physical line of the logical line
    text: str  # joined, comment removed, stripped
    snippet: str  # the first physical line as written


@dataclass(frozen=True, slots=True)
class _Declared:
    name: str
    version: str | None
    location: Location
    dev: bool
    constraint: bool
    pinnable: bool  # a named requirement a constraint may pin (not a URL or VCS reference)


@dataclass
class _Walk:
    """The state of reading one requirements file and everything it includes."""

    read: Reader | None
    declared: list[_Declared] = field(default_factory=list)
    problems: list[Skipped] = field(default_factory=list)
    chain: list[str] = field(default_factory=list)  # files being read, outermost first
    seen: set[str] = field(default_factory=set)

    def file(self, text: str, path: str, *, dev: bool, constraint: bool) -> None:
        self.seen.add(path)
        self.chain.append(path)
        dev = dev or _is_dev_file(path)
        for line in _logical_lines(text):
            self._line(line, path, dev=dev, constraint=constraint)
        self.chain.pop()

    def _problem(self, path: str, line: _Line, reason: str) -> None:
        self.problems.append(Skipped(path, reason, line.number))

    def _line(self, line: _Line, path: str, *, dev: bool, constraint: bool) -> None:
        location = Location(path, line.number, 1, snippet=line.snippet)
        if line.text.startswith("-"):
            try:
                option, values = _option(line.text)
            except ValueError as exc:
                self._problem(path, line, f"cannot split option line {line.text!r}: {exc}")
                return
            if option in _GLOBAL:
                return
            if option not in _INCLUDES and option not in _EDITABLE:
                self._problem(path, line, f"unknown option {option!r}")
            elif len(values) != 1:
                self._problem(path, line, f"option {option!r} takes one value, got {len(values)}")
            elif option in _EDITABLE:
                self._reference(values[0], path, line, location, dev=dev)
            else:
                self._include(values[0], path, line, dev=dev, constraint=constraint or _INCLUDES[option])
            return

        text, options = _split_options(line.text)
        for reason in _option_problems(options):
            self._problem(path, line, reason)
        if not _DIRECT_REFERENCE.match(text) and (_URL.match(text) or _is_local(text)):
            self._reference(text, path, line, location, dev=dev)
            return
        try:
            requirement = Requirement(text)
        except InvalidRequirement as exc:
            reason = str(exc).splitlines()[0]
            self._problem(path, line, f"invalid requirement {text!r}: {reason}")
            return
        version = None if requirement.url else exact_version(requirement.specifier)
        self.declared.append(
            _Declared(requirement.name, version, location, dev, constraint, pinnable=not requirement.url)
        )

    def _reference(self, text: str, path: str, line: _Line, location: Location, *, dev: bool) -> None:
        reference = re.split(r"\s;|;\s", text, maxsplit=1)[0].strip()  # drop a `; marker`
        name = _reference_name(reference)
        if name is not None:
            self.declared.append(_Declared(name, None, location, dev, False, pinnable=False))
        elif _URL.match(reference) and not reference.startswith("file:"):
            self._problem(path, line, f"URL requirement {reference!r} names no package (add #egg=<name>)")
        # Otherwise a local directory: the project's own code, which the analysis stage reads.

    def _include(self, ref: str, path: str, line: _Line, *, dev: bool, constraint: bool) -> None:
        kind = "constraints" if constraint else "requirements"
        if _URL.match(ref):
            self._problem(path, line, f"remote {kind} file {ref!r} not followed: firstpatch reads no network")
            return
        target = posixpath.normpath(posixpath.join(posixpath.dirname(path), ref))
        if posixpath.isabs(ref) or target == ".." or target.startswith("../"):
            self._problem(path, line, f"{kind} file {ref!r} is outside the target; not followed")
            return
        if target in self.chain:
            # Named the same from whichever file the walk started, so collect() can merge reports.
            members = self.chain[self.chain.index(target) :]
            first = members.index(min(members))
            cycle = " -> ".join([*members[first:], *members[:first], min(members)])
            self._problem(path, line, f"include cycle {cycle}; not followed again")
            return
        if target in self.seen:
            return  # already read through another include; its components are recorded
        text = self.read(target) if self.read is not None else None
        if text is None:
            self._problem(path, line, f"{kind} file {ref!r} ({target}) is not a readable file of the target")
            return
        self.file(text, target, dev=dev, constraint=constraint)

    def components(self) -> tuple[Component, ...]:
        # A constraint pins the version of an unpinned requirement of the same name (pip's rule).
        pins: dict[str, _Declared] = {}
        for entry in self.declared:
            if entry.constraint and entry.version is not None:
                pins.setdefault(canonicalize_name(entry.name), entry)
        required = {canonicalize_name(e.name) for e in self.declared if not e.constraint}
        components = []
        for entry in self.declared:
            if entry.constraint and canonicalize_name(entry.name) in required:
                continue  # reported with the requirement it pins, which is where it was declared
            component = pypi_component(
                entry.name,
                entry.version,
                entry.location,
                dev=entry.dev,
                direct=not entry.constraint,
            )
            pin = pins.get(component.name)
            if entry.version is None and entry.pinnable and not entry.constraint and pin is not None:
                component = pypi_component(entry.name, pin.version, entry.location, dev=entry.dev)
                component = replace(component, locations=(entry.location, pin.location))
            components.append(component)
        return tuple(components)


class RequirementsParser(ManifestParser):
    """pip requirements files, with their `-r`/`-c` includes followed through the reader."""

    name = "requirements"

    def handles(self, filename: str) -> bool:
        path = PurePosixPath(filename)
        if path.suffix != ".txt":
            return False
        return (
            path.name.startswith("requirements")
            or path.stem.endswith("requirements")
            or path.parent.name == "requirements"
        )

    def parse(self, text: str, path: str, read: Reader | None = None) -> Parsed:
        walk = _Walk(read)
        walk.file(text, path, dev=False, constraint=False)
        return Parsed(walk.components(), tuple(walk.problems))


def _logical_lines(text: str) -> Iterator[_Line]:
    """Logical lines as pip forms them: a trailing backslash joins the next physical line,
    except on a comment line, which always ends the logical line."""
    parts: list[str] = []
    start, snippet = 0, ""
    for number, raw in enumerate(text.splitlines(), start=1):
        if not parts:
            start, snippet = number, raw.rstrip("\\").strip()
        is_comment = raw.lstrip().startswith("#")
        if raw.endswith("\\") and not is_comment:
            parts.append(raw[:-1])
            continue
        parts.append(" " + raw if is_comment else raw)
        joined = _COMMENT.sub("", "".join(parts)).strip()
        parts = []
        if joined:
            yield _Line(start, joined, snippet)
    joined = _COMMENT.sub("", "".join(parts)).strip()  # a continuation at the end of the file
    if joined:
        yield _Line(start, joined, snippet)


def _option(text: str) -> tuple[str, list[str]]:
    """`-r a.txt`, `-ra.txt`, `--requirement=a.txt`, `--requirement a.txt` -> option and values."""
    if text.startswith("--"):
        match = re.match(r"(--[A-Za-z][\w-]*)=?(.*)$", text)
        option, rest = (match.group(1), match.group(2)) if match else (text, "")
    else:
        option, rest = text[:2], text[2:].lstrip("=")
    return option, shlex.split(rest)


def _split_options(text: str) -> tuple[str, str]:
    """The requirement and the per-requirement options that follow it (pip splits the same way)."""
    match = _OPTION_START.search(text)
    if match is None:
        return text, ""
    return text[: match.start()].strip(), text[match.start() :].strip()


def _option_problems(options: str) -> list[str]:
    if not options:
        return []
    try:
        tokens = shlex.split(options)
    except ValueError as exc:
        return [f"cannot split options {options!r}: {exc}"]
    problems: list[str] = []
    index = 0
    while index < len(tokens):
        option, _, value = tokens[index].partition("=")
        index += 1
        if option not in _PER_REQUIREMENT:
            problems.append(f"option {option!r} is not allowed after a requirement")
            continue
        if not value and index < len(tokens) and not tokens[index].startswith("-"):
            value = tokens[index]
            index += 1
        if option == "--hash" and not _HASH.match(value):
            problems.append(f"malformed --hash value {value!r} (expected <algorithm>:<hex digest>)")
    return problems


def _is_local(text: str) -> bool:
    head = text.split(";", 1)[0].strip()
    return head.startswith((".", "/", "~")) or head.lower().endswith(_ARCHIVES)


def _reference_name(reference: str) -> str | None:
    """A URL, VCS or path reference's package name: its `#egg=` fragment, else its archive name."""
    egg = _EGG.search(reference)
    if egg:
        return egg.group(1)
    filename = reference.split("#", 1)[0].split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]
    try:
        if filename.endswith(".whl"):
            return str(parse_wheel_filename(filename)[0])
        if filename.lower().endswith(_ARCHIVES):
            return str(parse_sdist_filename(filename)[0])
    except (InvalidWheelFilename, InvalidSdistFilename):
        return None
    return None


def _is_dev_file(path: str) -> bool:
    """`requirements-dev.txt`, `requirements/test.txt`, `docs/requirements.txt` hold dev tools."""
    pure = PurePosixPath(path)
    return is_dev_group(pure.stem) or is_dev_group(pure.parent.name)
