"""The compiled form of one package's records, as `advisory_matching` stores it.

One text per (ecosystem, normalised name), written at import and read back with `str.split`
and dict lookups only (no JSON, no version parsing):

    line 1      the form's version
    line 2      the ecosystem's order: groups of equal versions, ascending (`ranks.VersionOrder`)
    line 3      SemVer's order, for SEMVER ranges (empty when the ecosystem orders as SemVer)
    then        one line per record: its id, then each entry naming the package, GS-separated

An entry is `ecosystem FS versions FS ranges`: versions US-separated after a `v` (so that one
empty version is not none); ranges RS-separated, each
a type letter (E, S, G) then its events, US-separated, each a kind letter and the version as
written (GIT ranges keep no events: they are never evaluated). Events are kept in the record's
order; sorting them is integer work once the versions are ranks. `check_record` refuses a
record whose texts hold control characters, which would break these separators.
"""

from __future__ import annotations

from collections.abc import Sequence
from importlib import metadata

from firstpatch.advisories.evaluation import Entry, Orders, RawRange
from firstpatch.advisories.interface import AdvisoryError
from firstpatch.advisories.package_index import IndexedRecord, PackageIndex
from firstpatch.advisories.ranks import VersionOrder, check_text
from firstpatch.advisories.versions import SEMVER, ecosystem_scheme
from firstpatch.model import Advisory, Affected, Ecosystem

FORMAT = "1"
# Stored orders were sorted by these libraries: another version of either re-derives them.
DERIVED = (
    f"compiled {FORMAT}; packaging {metadata.version('packaging')}; univers {metadata.version('univers')}"
)

_ENTRIES = "\x1d"
_FIELDS = "\x1c"
_RANGES = "\x1e"
_ITEMS = "\x1f"
_TYPES = {"ECOSYSTEM": "E", "SEMVER": "S", "GIT": "G"}
_TYPE_NAMES = {letter: name for name, letter in _TYPES.items()}
_KINDS = {"introduced": "i", "fixed": "f", "last_affected": "l", "limit": "m"}
_KIND_NAMES = {letter: name for name, letter in _KINDS.items()}


def check_record(advisory: Advisory) -> None:
    """ValueError when a text of the record could not be stored in the compiled forms."""
    check_text(advisory.id, "id")
    for alias in advisory.aliases:
        check_text(alias, "alias")
    for vector in advisory.severity:
        check_text(vector.type, "severity type")
        check_text(vector.score, "severity score")
    for affected in advisory.affected:
        check_text(affected.ecosystem, "ecosystem")
        for version in affected.versions:
            check_text(version, "version")
        for range_ in affected.ranges:
            for event in range_.events:
                check_text(event.version, f"{event.kind} version")


def encode(ecosystem: Ecosystem, records: Sequence[tuple[str, Sequence[Affected]]]) -> str:
    """The compiled form of a package's records: (id, its entries naming the package) each."""
    orders = Orders.of(ecosystem.value, (entry for _, entries in records for entry in entries))
    own = orders.ecosystem.encode() if orders.ecosystem is not None else ""
    semver = "" if orders.semver is orders.ecosystem else orders.semver.encode()
    lines = [FORMAT, own, semver]
    for record_id, entries in records:
        lines.append(_ENTRIES.join([record_id, *map(_entry, entries)]))
    return "\n".join(lines)


def _entry(affected: Affected) -> str:
    ranges = _RANGES.join(
        _ITEMS.join(
            [
                _TYPES[range_.type],
                *(
                    _KINDS[event.kind] + event.version
                    for event in (range_.events if range_.type != "GIT" else ())
                ),
            ]
        )
        for range_ in affected.ranges
    )
    versions = "v" + _ITEMS.join(affected.versions) if affected.versions else ""
    return _FIELDS.join([affected.ecosystem, versions, ranges])


def decode(ecosystem: Ecosystem, name: str, text: str) -> PackageIndex:
    """The package's index from its compiled form; AdvisoryError when the form is not this one."""
    lines = text.split("\n")
    if lines[0] != FORMAT or len(lines) < 3:
        raise AdvisoryError(f"the compiled advisories of {ecosystem} {name} are not in form {FORMAT}")
    scheme = ecosystem_scheme(ecosystem)
    own = VersionOrder.decode(scheme, lines[1]) if scheme is not None else None
    semver = own if own is not None and scheme is SEMVER else VersionOrder.decode(SEMVER, lines[2])
    orders = Orders(own, semver)
    records = []
    for line in lines[3:]:
        record_id, *entries = line.split(_ENTRIES)
        records.append(IndexedRecord(record_id, tuple(_entry_of(entry, orders) for entry in entries)))
    return PackageIndex(ecosystem, name, orders, tuple(records))


def _entry_of(text: str, orders: Orders) -> Entry:
    ecosystem, versions, ranges = text.split(_FIELDS)
    return Entry(
        ecosystem,
        tuple(versions[1:].split(_ITEMS)) if versions else (),
        [_range(item) for item in ranges.split(_RANGES)] if ranges else [],
        orders,
    )


def _range(text: str) -> RawRange:
    kind, *events = text.split(_ITEMS)
    return _TYPE_NAMES[kind], [(_KIND_NAMES[event[0]], event[1:]) for event in events]
