"""The rpm database in SQLite (`var/lib/rpm/rpmdb.sqlite`, `usr/lib/sysimage/rpm/rpmdb.sqlite`).

The `Packages` table holds one rpm header per installed package as a blob. No maintained library
on PyPI reads these blobs without the system's librpm: `rpmfile` reads `.rpm` files (whose headers
start with a magic number the database does not store) only through private functions, and
`pyrpmdb`/`pygorpmrustinfo` bundle a Go binary from one author, the first already deprecated by
him. So the header is read here, from rpm's documented layout, with every count and offset
checked against the blob's length:

    int32 il, int32 dl         number of index entries, length of the data store (big-endian)
    il × (tag, type, offset, count)   int32 each
    dl bytes of data           strings NUL-terminated; INT32 values big-endian

The database file is opened read-only and immutable: nothing is written beside it.
"""

from __future__ import annotations

import sqlite3
import struct
import urllib.parse
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from firstpatch.inventory._purl import component
from firstpatch.inventory.interface import Parsed
from firstpatch.inventory.os_release import Distribution
from firstpatch.model import Component, Location, Skipped

_NAME, _VERSION, _RELEASE, _EPOCH, _ARCH, _SOURCERPM = 1000, 1001, 1002, 1003, 1022, 1044
_WANTED = frozenset({_NAME, _VERSION, _RELEASE, _EPOCH, _ARCH, _SOURCERPM})
_INT32, _STRING, _I18NSTRING = 4, 6, 9
_MAX_ENTRIES = 0xFFFF  # rpm's own limit on tags in a header
_MAX_BLOB = 64 * 1024 * 1024


class HeaderError(ValueError):
    """A header blob that does not follow rpm's layout."""


@dataclass(frozen=True, slots=True)
class RpmHeader:
    name: str
    version: str
    release: str
    epoch: int | None
    arch: str
    source_rpm: str


def read_header(blob: bytes) -> RpmHeader:
    if len(blob) < 8:
        raise HeaderError("shorter than a header's counts")
    il, dl = struct.unpack_from(">ii", blob, 0)
    if not 0 < il <= _MAX_ENTRIES or not 0 <= dl <= _MAX_BLOB:
        raise HeaderError(f"implausible counts: {il} entries, {dl} bytes of data")
    store_start = 8 + 16 * il
    if store_start + dl > len(blob):
        raise HeaderError(f"{il} entries and {dl} bytes of data do not fit in {len(blob)} bytes")
    store = blob[store_start : store_start + dl]
    values: dict[int, str | int] = {}
    for index in range(il):
        tag, kind, offset, count = struct.unpack_from(">iIiI", blob, 8 + 16 * index)
        if tag not in _WANTED:
            continue
        if not 0 <= offset < dl:
            raise HeaderError(f"tag {tag} points outside the data ({offset})")
        if kind == _INT32 and count >= 1 and offset + 4 <= dl:
            values[tag] = struct.unpack_from(">i", store, offset)[0]
        elif kind in (_STRING, _I18NSTRING):
            end = store.find(b"\0", offset)
            if end == -1:
                raise HeaderError(f"tag {tag}'s string is not terminated")
            values[tag] = store[offset:end].decode("utf-8", errors="replace")
    name, version, release = values.get(_NAME), values.get(_VERSION), values.get(_RELEASE)
    if not isinstance(name, str) or not isinstance(version, str) or not isinstance(release, str):
        raise HeaderError("no name, version and release")
    epoch = values.get(_EPOCH)
    return RpmHeader(
        name,
        version,
        release,
        epoch if isinstance(epoch, int) else None,
        str(values.get(_ARCH, "")),
        str(values.get(_SOURCERPM, "")),
    )


def rpm_components(database: Path, path: str, distro: Distribution) -> Parsed:
    """Components of every header in the database; `path` is how locations name the file."""
    uri = f"file:{urllib.parse.quote(str(database))}?mode=ro&immutable=1"
    try:
        with closing(sqlite3.connect(uri, uri=True)) as connection:
            rows = connection.execute("SELECT hnum, blob FROM Packages ORDER BY hnum").fetchall()
    except sqlite3.Error as exc:
        return Parsed((), (Skipped(path, f"not a readable rpm database: {exc}"),))
    components: list[Component] = []
    problems: list[Skipped] = []
    for number, blob in rows:
        try:
            header = read_header(bytes(blob))
        except HeaderError as exc:
            problems.append(Skipped(path, f"package header {number}: {exc}"))
            continue
        if header.name == "gpg-pubkey":
            continue  # an imported signing key, which rpm stores as a package
        qualifiers = {"distro": distro.qualifier}
        if header.arch:
            qualifiers["arch"] = header.arch
        if header.epoch is not None:
            qualifiers["epoch"] = str(header.epoch)
        if header.source_rpm:
            qualifiers["upstream"] = header.source_rpm
        plain = f"{header.version}-{header.release}"
        version = f"{header.epoch}:{plain}" if header.epoch is not None else plain
        components.append(
            component(
                distro.ecosystem,
                header.name,
                version,
                Location(path),
                qualifiers=qualifiers,
                purl_version=plain,
            )
        )
    return Parsed(tuple(components), tuple(problems))
