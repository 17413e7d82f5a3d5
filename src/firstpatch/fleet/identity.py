"""What makes two scans of a target the same scan, so that a fleet never repeats one.

A scan's result depends on what the target held (its revision), on the firstpatch that scanned
it, on the advisory data it matched against and on whether it proved and patched. The last three
are the *configuration*: a re-run with the same configuration skips every target whose revision
it has seen, and a nightly run after an upgrade or new advisories scans everything again.
"""

from __future__ import annotations

import functools
import hashlib
from importlib import resources
from importlib.resources.abc import Traversable

from firstpatch import __version__
from firstpatch.model import RunId


def scan_configuration(prove: bool, patch: bool) -> str:
    """A short digest of the firstpatch version, the shipped advisory data and the scan options."""
    text = f"firstpatch {__version__}\0advisories {advisory_data_digest()}\0prove={prove} patch={patch}"
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def run_id_for(target: str, revision: str, configuration: str) -> RunId:
    """The store id of a fleet's scan: the same scan saved twice is refused by the store as a
    duplicate instead of becoming a second run (32 hex digits, as a scan's own ids)."""
    text = f"{target}\0{revision}\0{configuration}"
    return RunId(hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()[:32])


@functools.cache
def advisory_data_digest() -> str:
    """A hash of every file of the advisory snapshot shipped in `firstpatch.advisories`."""
    digest = hashlib.sha256()
    root = resources.files("firstpatch.advisories") / "data"
    for path, item in _files(root, ""):
        digest.update(f"\0{path}\0".encode())
        digest.update(item.read_bytes())
    return digest.hexdigest()


def _files(folder: Traversable, prefix: str) -> list[tuple[str, Traversable]]:
    found: list[tuple[str, Traversable]] = []
    if not folder.is_dir():
        return found
    for item in sorted(folder.iterdir(), key=lambda entry: entry.name):
        path = f"{prefix}{item.name}"
        if item.is_dir():
            found.extend(_files(item, path + "/"))
        elif item.is_file():
            found.append((path, item))
    return found
