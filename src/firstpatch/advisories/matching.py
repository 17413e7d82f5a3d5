"""Whether a package version is affected by advisories, as the OSV schema's evaluation says.

The rules are in `evaluation`; this module applies them to `model.Advisory` objects: `match`
for a package version against a list of records, `evaluate` for one `affected` entry, `in_range`
for one range. Withdrawn records are ignored. Anything that cannot be decided is reported with
its reason, never guessed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from packaging.version import Version

from firstpatch.advisories.evaluation import Affects, Entry, Orders, Probe, Unknown, Verdict
from firstpatch.advisories.evaluation import escape as escape_position
from firstpatch.advisories.evaluation import verdict as entry_verdict
from firstpatch.advisories.names import normalise
from firstpatch.advisories.package_index import PackageIndex, index_advisories, judge
from firstpatch.advisories.versions import PEP440, VersionKey
from firstpatch.model import Advisory, Affected, AffectedRange, Ecosystem

__all__ = [
    "Affects",
    "Match",
    "MatchResult",
    "Undecided",
    "Unknown",
    "Verdict",
    "clear_caches",
    "escape_floor",
    "evaluate",
    "in_range",
    "match",
    "parse_version",
]


@dataclass(frozen=True, slots=True)
class Match:
    advisory: Advisory
    reason: str


@dataclass(frozen=True, slots=True)
class Undecided:
    advisory: Advisory
    reason: str


@dataclass(frozen=True, slots=True)
class MatchResult:
    """The advisories that affect one package version, and those that could not be decided.

    `reason` is set, and nothing is matched, when the version itself cannot be evaluated.
    """

    matches: tuple[Match, ...] = ()
    undecided: tuple[Undecided, ...] = ()
    reason: str = ""


def parse_version(text: str) -> Version | None:
    """The PEP 440 version, or None when `text` is not one (legacy versions included)."""
    parsed = PEP440.parse(text)
    return parsed if isinstance(parsed, Version) else None


def match(
    ecosystem: Ecosystem,
    name: str,
    version: str,
    advisories: Iterable[Advisory],
    release: str | None = None,
) -> MatchResult:
    """Which of `advisories` affect `name` at `version` (from distribution `release`, for OS
    packages: records for other releases do not apply)."""
    by_id: dict[str, Advisory] = {}
    for advisory in advisories:
        by_id.setdefault(advisory.id, advisory)
    index = _indexed(ecosystem, normalise(ecosystem, name), tuple(by_id.values()))
    judged = judge(index, version, release)
    chosen = [by_id[record.id] for record in index.records]
    return MatchResult(
        tuple(Match(chosen[number], reason) for number, reason in judged.matched),
        tuple(Undecided(chosen[number], reason) for number, reason in judged.undecided),
        judged.reason,
    )


def evaluate(version: str | VersionKey, affected: Affected) -> Verdict:
    """Whether one `affected` entry covers `version` (the entry's package is the caller's concern)."""
    return entry_verdict(_alone(affected), Probe(str(version)))


def in_range(version: str | VersionKey, range_: AffectedRange, ecosystem: str = Ecosystem.PYPI) -> bool:
    """Whether `version` is in one range; raises ValueError for a bound or version the
    ordering refuses."""
    (compiled,) = _alone(Affected(ecosystem, "", (range_,)), key=range_).ranges
    if isinstance(compiled, Unknown):
        raise ValueError(compiled.reason)  # noqa: TRY004 - a bound that cannot be read is a value error
    text = str(version)
    position = Probe(text).at(compiled.order)
    if position is None:
        raise ValueError(f"version {text!r} is not a {compiled.order.scheme.name} version")
    return compiled.opened(position) is not None


def escape_floor(version: str | VersionKey, affected: Affected) -> tuple[VersionKey, bool] | None:
    """Where the ranges holding `version` end: every version above `version` and below the
    returned bound (or equal to it, when the flag is True) is affected too. None when a range
    holding `version` never ends. `(version, False)` when no range bounds anything.

    Bounds are in the ecosystem's ordering; ranges of another ordering are left out. Remediation
    uses this to skip candidates that cannot be fixes; it proves nothing on its own.
    """
    entry = _alone(affected)
    order = entry.order
    text = str(version)
    key = order.scheme.parse(text) if order is not None else None
    if order is None or key is None:
        return None
    position = Probe(text).at(order)
    if position is None:
        return None
    floor = escape_position(entry, position)
    if floor is None:
        return None
    bound, inclusive = floor
    # Closing bounds are named versions (odd positions); an even one is the version itself.
    return (order.key(bound >> 1) if bound & 1 else key), inclusive


# Entries compiled alone, by object identity: hashing a frozen `Affected` by value walks its
# whole versions list, which costs more than evaluating it. Each value keeps its object alive,
# so an id cannot be reused while it is cached.
_ALONE: dict[int, tuple[object, Entry]] = {}
_ALONE_MAX = 65536


def _alone(affected: Affected, key: object = None) -> Entry:
    """`affected` compiled against orders of its own (no other record of its package)."""
    anchor = affected if key is None else key
    cached = _ALONE.get(id(anchor))
    if cached is not None and cached[0] is anchor:
        return cached[1]
    if len(_ALONE) >= _ALONE_MAX:
        _ALONE.clear()
    entry = Entry.of(affected, Orders.of(affected.ecosystem, [affected]))
    _ALONE[id(anchor)] = (anchor, entry)
    return entry


# Indexes of the advisories `match` was last given, by package and the advisories' identities
# (callers ask about many versions of one package with the same list).
_INDEXED: dict[tuple[str, str, tuple[int, ...]], tuple[tuple[Advisory, ...], PackageIndex]] = {}


def _indexed(ecosystem: Ecosystem, name: str, advisories: tuple[Advisory, ...]) -> PackageIndex:
    key = (ecosystem.value, name, tuple(map(id, advisories)))
    cached = _INDEXED.get(key)
    if cached is not None and all(a is b for a, b in zip(cached[0], advisories, strict=True)):
        return cached[1]
    if len(_INDEXED) >= _ALONE_MAX // 16:
        _INDEXED.clear()
    index = index_advisories(ecosystem, name, advisories)
    _INDEXED[key] = (advisories, index)
    return index


def clear_caches() -> None:
    """Forget compiled entries, parsed versions, computed CVSS scores and unversioned purls
    (benchmarks measure cold runs with this)."""
    from firstpatch.advisories import findings, severity
    from firstpatch.advisories.versions import clear_caches as clear_versions

    _ALONE.clear()
    _INDEXED.clear()
    clear_versions()
    severity.clear_caches()
    findings.clear_caches()
