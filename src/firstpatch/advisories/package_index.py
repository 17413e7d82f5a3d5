"""One package's advisory records, compiled for matching: its orders and each record's entries.

A source hands `audit` a `PackageIndex` per package. Sources holding `model.Advisory` objects
compile it with `index_advisories` (the orders are sorted then); the store decodes one it
compiled at import (`db.compact`), so a scan parses no record and sorts no version. Withdrawn
records are left out: they match nothing and block no fix.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from firstpatch.advisories.evaluation import Affects, Entry, Orders, Probe, Unknown, verdict
from firstpatch.advisories.facts import AdvisoryFacts
from firstpatch.advisories.names import ecosystem_base, normalise, release_applies
from firstpatch.advisories.versions import ecosystem_scheme
from firstpatch.model import Advisory, Affected, Ecosystem


@dataclass(frozen=True, slots=True)
class IndexedRecord:
    id: str
    entries: tuple[Entry, ...]  # the record's `affected` entries that name this package
    facts: AdvisoryFacts | None = None  # None: the source answers `facts` for it by id (the store)


@dataclass(frozen=True, slots=True)
class PackageIndex:
    ecosystem: Ecosystem
    name: str  # normalised
    orders: Orders
    records: tuple[IndexedRecord, ...]


@dataclass(frozen=True, slots=True)
class Judgement:
    """Which records affect one version of the package (indexes into `records`), which could
    not be decided, and why; `reason` is set, and nothing judged, when the version itself
    cannot be evaluated."""

    matched: tuple[tuple[int, str], ...] = ()  # (record index, reason)
    undecided: tuple[tuple[int, str], ...] = ()
    reason: str = ""


def package_key(affected: Affected) -> tuple[str, str]:
    """(ecosystem without release, normalised name): the package an entry names."""
    return ecosystem_base(affected.ecosystem), normalise(affected.ecosystem, affected.name)


def index_entries(
    ecosystem: Ecosystem,
    name: str,
    records: Sequence[tuple[str, Sequence[Affected], AdvisoryFacts | None]],
) -> PackageIndex:
    """An index from (id, entries naming the package, facts) per record, in the order given."""
    orders = Orders.of(ecosystem.value, (entry for _, entries, _ in records for entry in entries))
    return PackageIndex(
        ecosystem,
        normalise(ecosystem, name),
        orders,
        tuple(
            IndexedRecord(record_id, tuple(Entry.of(entry, orders) for entry in entries), facts)
            for record_id, entries, facts in records
        ),
    )


def index_advisories(
    ecosystem: Ecosystem,
    name: str,
    advisories: Iterable[Advisory],
    text_severity: Callable[[str], str | None] = lambda _: None,
) -> PackageIndex:
    """The index of the advisories that name the package and are not withdrawn, in their order."""
    key = (ecosystem.value, normalise(ecosystem, name))
    records = []
    for advisory in advisories:
        if advisory.withdrawn is not None:
            continue
        entries = [entry for entry in advisory.affected if package_key(entry) == key]
        if entries:
            records.append((advisory.id, entries, AdvisoryFacts.of(advisory, text_severity(advisory.id))))
    return index_entries(ecosystem, name, records)


def judge(index: PackageIndex, version: str, release: str | None = None, explain: bool = True) -> Judgement:
    """The index's records that affect `version` (from distribution `release`, for OS packages:
    entries for other releases do not apply); matches say why only when `explain`."""
    scheme = ecosystem_scheme(index.ecosystem)
    if scheme is None:
        return Judgement(reason=f"no version ordering for {index.ecosystem}; not matched")
    order = index.orders.ecosystem
    position = order.position(version) if order is not None else None
    if position is None:
        return Judgement(reason=f"version {version!r} is not a {scheme.name} version; not matched")
    probe = Probe(version, order, position)
    matched: list[tuple[int, str]] = []
    undecided: list[tuple[int, str]] = []
    for number, record in enumerate(index.records):
        unknown: Unknown | None = None
        for entry in record.entries:
            if release is not None and not release_applies(entry.ecosystem, release):
                continue
            result = verdict(entry, probe, explain)
            if isinstance(result, Affects):
                matched.append((number, result.reason))
                unknown = None
                break
            if isinstance(result, Unknown):
                unknown = result
        if unknown is not None:
            undecided.append((number, unknown.reason))
    return Judgement(tuple(matched), tuple(undecided))
