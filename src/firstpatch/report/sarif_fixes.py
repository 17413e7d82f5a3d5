"""A unified diff read back as SARIF replacements (`deletedRegion` + `insertedContent`).

Each run of removed and added lines inside a hunk becomes one replacement. Regions run from
column 1 of the first removed line to column 1 of the line after the last one, so that whole
lines, newline included, are replaced and applying every replacement to the original file
yields the patched file exactly. A pure insertion is an empty region at the line it goes before.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass

_HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")
# Diff lines end at "\n" only; str.splitlines would also split at form feeds and the like,
# which source files do contain.
_LINE = re.compile(r"[^\n]*\n|[^\n]+\Z")
_NO_NEWLINE = "\\"  # "\ No newline at end of file" follows the line it qualifies


class DiffError(ValueError):
    """A diff that does not parse as unified format."""


@dataclass(frozen=True, slots=True)
class Replacement:
    """Replace original text from (start_line, 1) up to (end_line, end_column), exclusive."""

    start_line: int
    end_line: int
    end_column: int
    inserted: str


@dataclass(frozen=True, slots=True)
class FileChange:
    path: str  # relative to the target root, as in the original file
    replacements: tuple[Replacement, ...]


def parse_unified_diff(diff: str, files: Collection[str] = ()) -> tuple[FileChange, ...]:
    """Every file's replacements, in diff order; `files` helps decide whether `a/`, `b/` are prefixes."""
    lines = _LINE.findall(diff)
    changes: list[FileChange] = []
    index = 0
    while index < len(lines):
        line = lines[index]
        if not (line.startswith("--- ") and index + 1 < len(lines) and lines[index + 1].startswith("+++ ")):
            index += 1  # "diff --git", "index", mode lines: nothing a replacement needs
            continue
        old = _path(line[4:], "a/", files)
        new = _path(lines[index + 1][4:], "b/", files)
        index += 2
        replacements: list[Replacement] = []
        while index < len(lines) and lines[index].startswith("@@ "):
            hunk, index = _read_hunk(lines, index)
            replacements.extend(hunk)
        path = old if old is not None else new
        if path is None:
            raise DiffError("a file header names /dev/null on both sides")
        changes.append(FileChange(path, tuple(replacements)))
    return tuple(changes)


def _path(raw: str, prefix: str, files: Collection[str]) -> str | None:
    # A tab separates the path from an optional timestamp.
    path = raw.rstrip("\r\n").split("\t", 1)[0]
    if path == "/dev/null":
        return None
    if path in files:
        return path
    if path.startswith(prefix) and (not files or path[len(prefix) :] in files):
        return path[len(prefix) :]
    return path


def _read_hunk(lines: list[str], index: int) -> tuple[list[Replacement], int]:
    match = _HUNK.match(lines[index])
    if match is None:
        raise DiffError(f"malformed hunk header: {lines[index].rstrip()!r}")
    old_start, old_count = int(match[1]), int(match[2] or "1")
    new_count = int(match[4] or "1")
    # With no old lines, the header names the line *after which* the new ones go.
    old_line = old_start if old_count else old_start + 1
    body, end = _hunk_body(lines, index + 1, old_count, new_count)
    replacements: list[Replacement] = []
    deleted: list[str] = []
    inserted: list[str] = []
    block_start = old_line

    def flush() -> None:
        if deleted or inserted:
            replacements.append(_replacement(block_start, deleted, inserted))
        deleted.clear()
        inserted.clear()

    for op, text in body:
        if op == " ":
            flush()
            old_line += 1
            block_start = old_line
        elif op == "-":
            deleted.append(text)
            old_line += 1
        else:
            inserted.append(text)
    flush()
    return replacements, end


def _hunk_body(
    lines: list[str], index: int, old_count: int, new_count: int
) -> tuple[list[tuple[str, str]], int]:
    """The hunk's (op, text) pairs and the index after it, read by the counts in its header
    rather than by look: a removed line "-- x" must not pass for the next file's header."""
    body: list[tuple[str, str]] = []
    old_seen = new_seen = 0
    while index < len(lines) and (old_seen < old_count or new_seen < new_count):
        line = lines[index]
        # Some tools strip the lone space of an empty context line.
        op, text = (" ", line) if line in ("\n", "\r\n") else (line[0], line[1:])
        if op not in " -+":
            break
        index += 1
        if index < len(lines) and lines[index].startswith(_NO_NEWLINE):
            text = text.removesuffix("\n")
            index += 1
        body.append((op, text))
        old_seen += op in " -"
        new_seen += op in " +"
    if old_seen != old_count or new_seen != new_count:
        raise DiffError("a hunk ends before its header's line counts are met")
    return body, index


def _replacement(start: int, deleted: list[str], inserted: list[str]) -> Replacement:
    inserted_text = "".join(inserted)
    if deleted and not deleted[-1].endswith("\n"):
        # The file's last line has no newline, so there is no next line to end the region on.
        return Replacement(start, start + len(deleted) - 1, len(deleted[-1]) + 1, inserted_text)
    return Replacement(start, start + len(deleted), 1, inserted_text)
